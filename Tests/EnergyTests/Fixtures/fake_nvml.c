/*
 * A fake NVML for Verdant's tests: the entry points the energy meter resolves with dlsym, with the
 * C signatures and return codes of nvml.h. Built into a shared library at test time and opened
 * through the meter's real dlopen path (--nvml-library), so the whole C boundary is exercised:
 * symbol lookup, calling conventions, out-parameters and the nvmlProcessInfo_t layout.
 *
 * Device 0 has the total-energy counter, which advances by exactly 1000 mJ per read; device 1
 * offers only power readings (a constant 40 W). Device 0 lists the loading process as its only
 * compute process; device 1 lists none.
 */
#include <stdio.h>
#include <stdint.h>
#include <unistd.h>

typedef struct verdant_fake_device *nvmlDevice_t;
typedef struct {
    unsigned int pid;
    unsigned long long usedGpuMemory;
    unsigned int gpuInstanceId;
    unsigned int computeInstanceId;
} nvmlProcessInfo_t;

enum { SUCCESS = 0, INVALID_ARGUMENT = 2, NOT_SUPPORTED = 3, INSUFFICIENT_SIZE = 7 };

static unsigned long long energy_reads = 0;

static int device_index(nvmlDevice_t device) { return (int)((uintptr_t)device - 0x1000); }

int nvmlInit_v2(void) { return SUCCESS; }
int nvmlShutdown(void) { return SUCCESS; }

int nvmlDeviceGetCount_v2(unsigned int *count) {
    if (!count) return INVALID_ARGUMENT;
    *count = 2;
    return SUCCESS;
}

int nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t *device) {
    if (!device || index > 1) return INVALID_ARGUMENT;
    *device = (nvmlDevice_t)(uintptr_t)(0x1000 + index);
    return SUCCESS;
}

int nvmlDeviceGetName(nvmlDevice_t device, char *name, unsigned int length) {
    if (!name) return INVALID_ARGUMENT;
    int written = snprintf(name, length, "Compiled Fake GPU %d", device_index(device));
    return written < 0 || (unsigned int)written >= length ? INSUFFICIENT_SIZE : SUCCESS;
}

int nvmlDeviceGetTotalEnergyConsumption(nvmlDevice_t device, unsigned long long *millijoules) {
    if (device_index(device) != 0) return NOT_SUPPORTED;
    if (!millijoules) return INVALID_ARGUMENT;
    *millijoules = 7000000ULL + 1000ULL * energy_reads++;
    return SUCCESS;
}

int nvmlDeviceGetPowerUsage(nvmlDevice_t device, unsigned int *milliwatts) {
    if (!milliwatts) return INVALID_ARGUMENT;
    *milliwatts = 40000;
    return SUCCESS;
}

int nvmlDeviceGetComputeRunningProcesses_v3(nvmlDevice_t device, unsigned int *count, nvmlProcessInfo_t *infos) {
    if (!count) return INVALID_ARGUMENT;
    unsigned int running = device_index(device) == 0 ? 1 : 0;
    if (running == 0) { *count = 0; return SUCCESS; }
    if (!infos || *count < running) { *count = running; return INSUFFICIENT_SIZE; }
    infos[0].pid = (unsigned int)getpid();
    infos[0].usedGpuMemory = 1ULL << 30;
    infos[0].gpuInstanceId = 0xFFFFFFFFu;
    infos[0].computeInstanceId = 0xFFFFFFFFu;
    *count = running;
    return SUCCESS;
}

const char *nvmlErrorString(int result) {
    switch (result) {
    case SUCCESS: return "Success";
    case INVALID_ARGUMENT: return "Invalid Argument";
    case NOT_SUPPORTED: return "Not Supported";
    case INSUFFICIENT_SIZE: return "Insufficient Size";
    default: return "Unknown Error";
    }
}
