// Accessors for MPI handles that are macros (Open MPI defines MPI_COMM_WORLD, MPI_DOUBLE, ... as
// casts of global objects; MPICH as integer constants): Swift does not import such macros, so
// each is returned by a static inline function. Everything else (MPI_Init, MPI_Allreduce, ...)
// imports directly.
#ifndef VERDANT_CMPI_SHIM_H
#define VERDANT_CMPI_SHIM_H
#include <mpi.h>

static inline MPI_Comm verdant_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype verdant_mpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Datatype verdant_mpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype verdant_mpi_int64(void) { return MPI_INT64_T; }
static inline MPI_Datatype verdant_mpi_uint8(void) { return MPI_UINT8_T; }
static inline MPI_Datatype verdant_mpi_int(void) { return MPI_INT; }
static inline MPI_Op verdant_mpi_sum(void) { return MPI_SUM; }
static inline MPI_Op verdant_mpi_min(void) { return MPI_MIN; }
static inline MPI_Op verdant_mpi_max(void) { return MPI_MAX; }
static inline void *verdant_mpi_in_place(void) { return MPI_IN_PLACE; }
static inline MPI_Status *verdant_mpi_status_ignore(void) { return MPI_STATUS_IGNORE; }
static inline MPI_Errhandler verdant_mpi_errors_return(void) { return MPI_ERRORS_RETURN; }
static inline int verdant_mpi_success(void) { return MPI_SUCCESS; }
static inline int verdant_mpi_thread_serialized(void) { return MPI_THREAD_SERIALIZED; }
static inline int verdant_mpi_max_error_string(void) { return MPI_MAX_ERROR_STRING; }
static inline int verdant_mpi_max_library_version_string(void) { return MPI_MAX_LIBRARY_VERSION_STRING; }

#endif
