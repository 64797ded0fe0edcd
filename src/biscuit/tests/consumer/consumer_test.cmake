# CTest driver: installs the library from BUILD_DIR into a fresh prefix under WORK_DIR, builds
# the consumer project against that prefix (CMake package and pkg-config), and runs both.
# Arguments: -DBUILD_DIR= -DWORK_DIR= -DSOURCE_DIR= [-DCOMPONENT=biscuit] -DGENERATOR=
cmake_minimum_required(VERSION 3.25)
set(prefix ${WORK_DIR}/prefix)
set(build ${WORK_DIR}/build)
file(REMOVE_RECURSE ${WORK_DIR})

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE status TIMEOUT 600)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "failed (${status}): ${ARGN}")
  endif()
endfunction()

run(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix} --component biscuit)
foreach(file include/biscuit/biscuit.hpp include/biscuit/error.hpp)
  if(NOT EXISTS ${prefix}/${file})
    message(FATAL_ERROR "not installed: ${file}")
  endif()
endforeach()
file(GLOB_RECURSE pc_files ${prefix}/*/biscuit.pc)
file(GLOB_RECURSE config_files ${prefix}/*/biscuitConfigVersion.cmake)
if(NOT pc_files OR NOT config_files)
  message(FATAL_ERROR "biscuit.pc or biscuitConfigVersion.cmake not installed")
endif()
list(GET pc_files 0 pc_file)
get_filename_component(pc_dir ${pc_file} DIRECTORY)
# The installed tree, not the source or build tree, is what the consumer sees.
set(ENV{PKG_CONFIG_PATH} ${pc_dir})
run(${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${build} -G ${GENERATOR}
    -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_BUILD_TYPE=Release)
run(${CMAKE_COMMAND} --build ${build})
run(${build}/consumer_cmake)
run(${build}/consumer_pkgconfig)
