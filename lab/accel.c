/*
 * accel.c - KVM when it really works, TCG otherwise. Opening /dev/kvm is not
 * enough: on nested setups without vmx/svm the device opens, even creates a
 * VM, and the guest then dies on its first MSR access. So the CPU flags are
 * checked too, and the reason for the choice is said plainly.
 */
#include "lab.h"

#include <fcntl.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static bool cpu_has_virt_flag(void)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return false;
    char line[8192];
    bool found = false;
    while (!found && fgets(line, sizeof line, f)) {
        if (strncmp(line, "flags", 5) != 0) continue;
        for (char *save = NULL, *t = strtok_r(line, " \t\n", &save); t; t = strtok_r(NULL, " \t\n", &save))
            if (!strcmp(t, "vmx") || !strcmp(t, "svm")) found = true;
        break;
    }
    fclose(f);
    return found;
}

static bool kvm_usable(char *why, size_t sz)
{
    int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        snprintf(why, sz, "/dev/kvm cannot be opened");
        return false;
    }
    int api = ioctl(fd, KVM_GET_API_VERSION, 0);
    if (api != KVM_API_VERSION) {
        close(fd);
        snprintf(why, sz, "/dev/kvm answers API version %d, not %d", api, KVM_API_VERSION);
        return false;
    }
    int vm = ioctl(fd, KVM_CREATE_VM, 0);
    if (vm < 0) {
        close(fd);
        snprintf(why, sz, "/dev/kvm opens but KVM_CREATE_VM fails");
        return false;
    }
    close(vm);
    close(fd);
    if (!cpu_has_virt_flag()) {
        snprintf(why, sz, "/dev/kvm opens but the CPU has no vmx/svm flag (nested KVM would crash the guest)");
        return false;
    }
    snprintf(why, sz, "KVM works here");
    return true;
}

enum lab_accel lab_accel_choose(enum lab_accel want, char *why, size_t whysz)
{
    if (want == LAB_ACCEL_TCG) {
        snprintf(why, whysz, "TCG asked for with --accel tcg");
        return LAB_ACCEL_TCG;
    }
    char r[200];
    bool ok = kvm_usable(r, sizeof r);
    if (want == LAB_ACCEL_KVM) {
        snprintf(why, whysz, "KVM forced with --accel kvm%s%s", ok ? "" : " although ", ok ? "" : r);
        return LAB_ACCEL_KVM;
    }
    if (ok) {
        snprintf(why, whysz, "%s", r);
        return LAB_ACCEL_KVM;
    }
    snprintf(why, whysz, "TCG emulation (%s): 15-100x slower than the host", r);
    return LAB_ACCEL_TCG;
}
