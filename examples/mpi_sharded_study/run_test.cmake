# cmake -DSTUDY=... -DPROGRAM=<icl-metrics or empty> -DMPIEXEC=... -DMPIEXEC_NUMPROC_FLAG=...
#       -DMPI_FLAGS=... -DDEMO=data/demo -DWORK=<scratch dir> -P run_test.cmake
# Shards the prompts of the demo's task "function" into 2 uneven parts, runs the study under mpirun at 2 ranks (each
# rank reads its own shard), and compares the keys it writes with `icl-metrics report` DEMO.
cmake_policy(VERSION 3.20)

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE status)
  if(NOT status EQUAL 0)
    string(REPLACE ";" " " command "${ARGN}")
    message(FATAL_ERROR "failed (${status}): ${command}")
  endif()
endfunction()

file(REMOVE_RECURSE "${WORK}")
run("${STUDY}" shard "${DEMO}" "${WORK}/shards" 2 function)  # one task: a short test
run("${MPIEXEC}" ${MPIEXEC_NUMPROC_FLAG} 2 ${MPI_FLAGS} "${STUDY}" run "${WORK}/shards" "${WORK}/sharded.json")
if(PROGRAM)
  run("${PROGRAM}" report "${DEMO}" --out "${WORK}/report" --no-html -q)
  run("${STUDY}" compare "${WORK}/sharded.json" "${WORK}/report/results.json")
else()
  message(STATUS "icl-metrics not built: the sharded run is not compared with the report")
endif()
