# Installs the locked reference implementation into NODE_DIR, once per lock file.
file(MAKE_DIRECTORY ${NODE_DIR})
foreach(f package.json package-lock.json biscuit-reference.mjs)
  configure_file(${SOURCE_DIR}/${f} ${NODE_DIR}/${f} COPYONLY)
endforeach()
file(SHA256 ${SOURCE_DIR}/package-lock.json lock_hash)
set(stamp ${NODE_DIR}/node_modules/.ecf-lock-sha256)
if(EXISTS ${stamp})
  file(READ ${stamp} installed_hash)
  if(installed_hash STREQUAL lock_hash)
    return()
  endif()
endif()
execute_process(
  COMMAND ${NPM} ci --ignore-scripts --no-audit --no-fund
  WORKING_DIRECTORY ${NODE_DIR}
  RESULT_VARIABLE rc
  TIMEOUT 240)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "npm ci failed (${rc})")
endif()
file(WRITE ${stamp} ${lock_hash})
