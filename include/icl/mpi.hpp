#ifndef ICL_MPI_HPP
#define ICL_MPI_HPP

/// The metrics over the ranks of an MPI communicator (component icl_metrics::mpi; needs mpi.h
/// and MPI's library, so it is not part of icl/icl.hpp).
///
/// Each rank passes its own rows (any split, possibly uneven, possibly none); every function
/// equals the single-process function of the same name on the rows concatenated in rank order.
/// The communicator comes first; every other parameter is the single-process one. Bad input on
/// any rank makes every rank throw the same icl exception, naming the offending rank; no rank is
/// left waiting in a collective.

#include "icl/mpi/detail/comm.hpp"
// All-pairs work on row blocks passed around a ring: RDMs, RSA, kNN decodability.
#include "icl/mpi/decode.hpp"
#include "icl/mpi/rdm.hpp"
#include "icl/mpi/rsa.hpp"
// Sums over rows: linear CKA, the probes with cross-validation, the attention accumulators.
#include "icl/mpi/attention.hpp"
#include "icl/mpi/cka.hpp"
#include "icl/mpi/geometry.hpp"
#include "icl/mpi/probe.hpp"

#endif  // ICL_MPI_HPP
