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

// A nonblocking pairwise exchange (receive posted first, then the send), kept in one struct so
// that Swift need not spell MPI_Request (a pointer in Open MPI, an int in MPICH).
typedef struct {
    MPI_Request requests[2];
    MPI_Status statuses[2];
} verdant_mpi_exchange;

static inline int verdant_mpi_exchange_start(verdant_mpi_exchange *e, const void *send, int send_count, int destination,
                                             void *receive, int receive_count, int source, int tag, MPI_Comm comm) {
    e->requests[0] = MPI_REQUEST_NULL;
    e->requests[1] = MPI_REQUEST_NULL;
    int code = MPI_Irecv(receive, receive_count, MPI_UINT8_T, source, tag, comm, &e->requests[0]);
    if (code != MPI_SUCCESS) return code;
    return MPI_Isend(send, send_count, MPI_UINT8_T, destination, tag, comm, &e->requests[1]);
}
static inline int verdant_mpi_exchange_test(verdant_mpi_exchange *e, int *done) {
    return MPI_Testall(2, e->requests, done, e->statuses);
}
static inline int verdant_mpi_exchange_wait(verdant_mpi_exchange *e) {
    return MPI_Waitall(2, e->requests, e->statuses);
}
// Bytes received, once complete.
static inline int verdant_mpi_exchange_received(verdant_mpi_exchange *e, int *count) {
    return MPI_Get_count(&e->statuses[0], MPI_UINT8_T, count);
}
// Lets go of requests still active (MPI completes and frees them later; their buffers must stay).
static inline void verdant_mpi_exchange_abandon(verdant_mpi_exchange *e) {
    for (int k = 0; k < 2; k++) {
        if (e->requests[k] != MPI_REQUEST_NULL) MPI_Request_free(&e->requests[k]);
    }
}

#endif
