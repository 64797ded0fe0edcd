# Runs one libFuzzer binary for a bounded time on a fresh copy of its seeds (the committed corpus
# is never written to). Every fuzz target's CTest entry runs through this script.
# -DFUZZER=<binary> -DSEEDS=<dir> [-DPATTERN=<glob>, default *] -DWORK=<scratch dir> -DSECONDS=<n>
if(NOT DEFINED PATTERN)
  set(PATTERN "*")
endif()
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
file(GLOB seeds ${SEEDS}/${PATTERN})
file(COPY ${seeds} DESTINATION ${WORK})
execute_process(
  COMMAND ${FUZZER} -max_total_time=${SECONDS} -rss_limit_mb=2048 -timeout=10 -max_len=65536
          -print_final_stats=1 ${WORK}
  RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "${FUZZER} found a failure (exit ${result})")
endif()
