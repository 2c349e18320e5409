#!/bin/busybox sh
# /init of the splsuite lab initramfs (embedded into splsuite from lab/init.sh).
#
# Mounts the host's root read-only over 9p under a tmpfs overlay, so the
# host's own dynamically linked splsuite, libraries and tools run unchanged
# (writes stay in guest RAM), mounts the writable results share at its host
# path, runs the job the host wrote there, and leaves the exit status in the
# results share: QEMU exits 0 after poweroff whatever happened in here.
/bin/busybox --install -s /bin
export PATH=/bin

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

fail() {
    echo "SPLSUITE-LAB-ERROR: $*"
    if grep -q ' /res 9p ' /proc/mounts; then echo "$*" > /res/lab-error; fi
    sync
    poweroff -f
    sleep 60
}

if [ -f /mods/order ]; then
    while read -r m; do
        # A module whose driver is already built in, or already loaded, fails harmlessly.
        insmod "/mods/$m" 2>/dev/null
    done < /mods/order
fi
grep -qw 9p /proc/filesystems ||
    fail "this kernel has no 9p filesystem: it needs CONFIG_9P_FS, CONFIG_NET_9P_VIRTIO and CONFIG_VIRTIO_PCI, built in or as modules (give them with --modules DIR)"

OPTS=trans=virtio,version=9p2000.L,msize=262144
mount -t 9p -o "$OPTS" splres /res || fail "cannot mount the results share (virtio-9p device missing?)"
[ -f /res/job ] || fail "no job file in the results share"
. /res/job

mount -t 9p -o "$OPTS,ro" hostroot /lower || fail "cannot mount the host root share"
mount -t tmpfs -o mode=0755 tmpfs /upper
mkdir -p /upper/u /upper/w
if mount -t overlay overlay -o lowerdir=/lower,upperdir=/upper/u,workdir=/upper/w /newroot 2>/dev/null; then
    ROOTMODE=overlay
else
    # No overlayfs in this kernel: the host root stays read-only, scratch dirs get tmpfs.
    mount --bind /lower /newroot || fail "cannot bind the host root"
    for d in tmp var/tmp run; do mount -t tmpfs -o mode=1777 tmpfs "/newroot/$d" 2>/dev/null; done
    ROOTMODE=readonly
fi
echo "splsuite-lab: host root mounted ($ROOTMODE)"

mount -t proc proc /newroot/proc
mount -t sysfs sysfs /newroot/sys
mount -t devtmpfs devtmpfs /newroot/dev
mkdir -p /newroot/dev/shm /newroot/dev/pts 2>/dev/null
# devtmpfs has no /dev/fd family (udev makes them on a normal boot); shells want them.
ln -sf /proc/self/fd /newroot/dev/fd
ln -sf /proc/self/fd/0 /newroot/dev/stdin
ln -sf /proc/self/fd/1 /newroot/dev/stdout
ln -sf /proc/self/fd/2 /newroot/dev/stderr
mount -t tmpfs -o mode=1777 tmpfs /newroot/dev/shm
mount -t devpts devpts /newroot/dev/pts 2>/dev/null
mount -t tracefs tracefs /newroot/sys/kernel/tracing 2>/dev/null
mount -t debugfs debugfs /newroot/sys/kernel/debug 2>/dev/null
mount -t bpf bpf /newroot/sys/fs/bpf 2>/dev/null
mount -t cgroup2 cgroup2 /newroot/sys/fs/cgroup 2>/dev/null
mkdir -p "/newroot$LAB_RUN_DIR" 2>/dev/null
mount --bind /res "/newroot$LAB_RUN_DIR" || fail "cannot mount the results share at $LAB_RUN_DIR"
hostname splsuite-lab
ulimit -l unlimited

cut -d' ' -f1 /proc/uptime > /res/ready
# A clean environment: only what the lab sets, so the guest run does not
# depend on the caller's shell.
chroot /newroot /usr/bin/env -i \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    HOME=/root TERM=dumb LANG=C.UTF-8 \
    SPLSUITE_LAB=1 SPLSUITE_LAB_NODES="$LAB_NODES" SPLSUITE_LAB_CPUS="$LAB_CPUS" \
    SPLSUITE_LAB_DISTANCES="$LAB_DIST" SPLSUITE_LAB_OUT="$LAB_RUN_DIR" SPLSUITE_LAB_ROOT="$ROOTMODE" \
    /bin/sh -c 'cd "$0" || exit 125; exec "$@"' "$LAB_CWD" "$@" > /res/stdout 2> /res/stderr
rc=$?
cut -d' ' -f1 /proc/uptime > /res/done
echo "$rc" > /res/status.tmp && mv /res/status.tmp /res/status
echo "splsuite-lab: command exited with status $rc"
sync
poweroff -f
sleep 60
