# Helpers of the package tests' scripts (cmake -P) and of package_tests.cmake.

# icl_require(<script> <variable>...): stops when one of the variables is unset or empty.
function(icl_require script)
  foreach(var IN LISTS ARGN)
    if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
      message(FATAL_ERROR "${script}: ${var} is not set")
    endif()
  endforeach()
endfunction()

# icl_step(<what> <command>...): runs the command (echoed) and stops if it fails; the message
# starts with ICL_STEP_CONTEXT.
function(icl_step what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE result COMMAND_ECHO STDOUT)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "${ICL_STEP_CONTEXT}: ${what} failed: ${result}")
  endif()
endfunction()

# icl_consumer_switches(<out> <chosen-list-variable>): -DICL_CONSUMER_WITH_<C>=ON for each host
# component C (blas, openmp, io) in the list, =OFF for the others.
function(icl_consumer_switches out chosen)
  set(switches "")
  foreach(component IN ITEMS blas openmp io)
    string(TOUPPER "${component}" upper)
    if(component IN_LIST ${chosen})
      list(APPEND switches "-DICL_CONSUMER_WITH_${upper}=ON")
    else()
      list(APPEND switches "-DICL_CONSUMER_WITH_${upper}=OFF")
    endif()
  endforeach()
  set(${out} "${switches}" PARENT_SCOPE)
endfunction()
