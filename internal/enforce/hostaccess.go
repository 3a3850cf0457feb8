package enforce

import (
	"context"
	"os"
	"path"
	"strings"

	"github.com/dockguard/dockguard/internal/rules"

	"github.com/dockguard/dockguard/internal/container"
	apicontainer "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
)

// What a request can reach of the host beyond what the container rules
// judge: local volumes whose options mount a host filesystem or device,
// host block and memory devices, device cgroup rules that open every
// device, seccomp profiles dockguard cannot judge, bind sources that are
// symlinks. Each is denied until the enforcement profiles give them an
// allow-list of their own.

// remoteFS are the filesystem types a local volume may mount: tmpfs and
// network filesystems hold no host data.
var remoteFS = map[string]bool{"tmpfs": true, "nfs": true, "nfs4": true, "cifs": true, "smb3": true}

// localVolumeRisk says why a local-driver volume's options reach the
// host ("" when they do not): a bind (o=bind/rbind), a filesystem type
// other than tmpfs and network filesystems (ext4 on /dev/vda, proc,
// sysfs, overlay with a host lowerdir, …), or a host path as the device.
// allow.volumeTypes names more types; a host device as the source must
// also be on allow.devices.
func localVolumeRisk(driver string, opts map[string]string, allow *rules.Allow) string {
	if driver != "" && driver != "local" {
		return "" // a volume plugin: judged as such
	}
	if container.LocalBind(driver, opts) {
		return "o=bind mounts host path " + truncate(opts["device"], 60)
	}
	typ, device := strings.TrimSpace(opts["type"]), strings.TrimSpace(opts["device"])
	allowedType := typ != "" && rules.Has(allow.VolumeTypes, typ)
	if typ != "" && !remoteFS[strings.ToLower(typ)] && !allowedType {
		return "type=" + truncate(typ, 20) + " mounts a host filesystem or device (device=" + truncate(device, 40) + "; allow.volumeTypes lists types a volume may mount)"
	}
	if strings.HasPrefix(device, "/") && !(allowedType && rules.Has(allow.Devices, path.Clean(device))) {
		return "device=" + truncate(device, 40) + " is a host path (a type on allow.volumeTypes may mount a device on allow.devices)"
	}
	if typ == "" && (device != "" || strings.TrimSpace(opts["o"]) != "") {
		return "mount options without a type (device=" + truncate(device, 40) + ")"
	}
	return ""
}

// VolumeOptions tells a named volume's driver and options as the daemon
// holds them.
type VolumeOptions interface {
	// Volume returns the volume's driver and options; found is false when
	// the daemon has no such volume (it then creates a plain local one).
	Volume(ctx context.Context, name string) (driver string, opts map[string]string, found bool, err error)
}

// namedVolumes judges the existing volumes a container mounts by name:
// one created before enforcement, or by another path, is judged as the
// daemon holds it.
func (j *judgement) namedVolumes(ctx context.Context, hc *apicontainer.HostConfig) {
	var names []string
	for _, b := range hc.Binds {
		if src, _, ok := strings.Cut(b, ":"); ok && src != "" && !strings.HasPrefix(src, "/") {
			names = append(names, src)
		}
	}
	for _, m := range hc.Mounts {
		// A DriverConfig does not make a new volume: when the name exists,
		// the daemon mounts the existing one, options and all.
		if m.Type == mount.TypeVolume && m.Source != "" {
			names = append(names, m.Source)
		}
	}
	if len(names) == 0 {
		return
	}
	vo, ok := j.d.images.(VolumeOptions)
	if !ok {
		j.check("volume-unknown", "start dockguard with access to the daemon's API", "named volumes %s cannot be asked of the daemon: their options are not judged", truncate(strings.Join(names, ","), 60))
		return
	}
	for _, n := range names {
		driver, opts, found, err := vo.Volume(ctx, n)
		switch {
		case err != nil:
			j.failClosed("volume-unknown", "volume %q cannot be asked of the daemon (%s): its options are not judged", truncate(n, 40), truncate(err.Error(), 60))
		case !found:
		default:
			if why := localVolumeRisk(driver, opts, &j.d.pol.Config.Allow); why != "" {
				j.check("volume-bind", "mount a volume that holds only its own data", "volume %q: %s", truncate(n, 40), why)
			}
			if driver != "" && driver != "local" && !rules.Has(j.d.pol.Config.Allow.VolumeDrivers, driver) {
				j.check("volume-driver", "use the local volume driver", "volume %q uses volume plugin %q, which mounts what it chooses", truncate(n, 40), truncate(driver, 40))
			}
		}
	}
}

// blockDevicePrefixes name host block devices when the device cannot be
// looked at (dockguard runs elsewhere, or it does not exist yet).
var blockDevicePrefixes = []string{"/dev/sd", "/dev/vd", "/dev/xvd", "/dev/hd", "/dev/nvme", "/dev/mmcblk", "/dev/loop",
	"/dev/dm-", "/dev/md", "/dev/mapper/", "/dev/disk/", "/dev/zd", "/dev/nbd", "/dev/rbd", "/dev/sr", "/dev/bcache", "/dev/ram"}

// memoryDevices give the host's memory, I/O ports or CPU registers.
var memoryDevices = map[string]bool{"/dev/mem": true, "/dev/kmem": true, "/dev/port": true}

// deviceRisk says why a host device reaches the host ("" for a named
// character device such as tun, fuse, dri or a serial port).
func deviceRisk(p string) string {
	if !path.IsAbs(p) {
		// The daemon opens it from its own working folder, not dockguard's.
		return "is a relative path, which the daemon resolves from its own working folder"
	}
	clean := path.Clean(p)
	if clean != "/dev" && !strings.HasPrefix(clean, "/dev/") && clean != "/" {
		// Only root creates entries under /dev; a path elsewhere can be
		// a symlink planted (by another container's bind) after the
		// decision, to a disk.
		return "is outside /dev: what it names can be replaced after this decision"
	}
	if memoryDevices[clean] || strings.HasPrefix(clean, "/dev/cpu/") {
		return "gives the host's memory, I/O ports or CPU registers"
	}
	if consoleDevice(clean) {
		// Keystrokes into a host console (TIOCSTI) are a root shell's
		// input; the kernel log and the console memory are the host's.
		return "is a host console, its memory or the kernel log"
	}
	if fi, err := os.Stat(clean); err == nil {
		switch {
		case fi.IsDir():
			return "is a folder: every device in it is passed"
		case fi.Mode()&os.ModeDevice != 0 && fi.Mode()&os.ModeCharDevice == 0:
			return "is a host block device (a disk: the host's files)"
		}
	}
	for _, b := range blockDevicePrefixes {
		if strings.HasPrefix(clean, b) {
			return "names a host block device (a disk: the host's files)"
		}
	}
	if clean == "/dev" || clean == "/" {
		return "passes every host device"
	}
	return ""
}

// memoryCharDevices are the character devices, by major:minor, that give
// the host's memory or I/O ports, or make loop devices of host files.
var memoryCharDevices = map[string]string{"1:1": "/dev/mem", "1:2": "/dev/kmem", "1:4": "/dev/port", "10:237": "/dev/loop-control"}

// cgroupRuleRisk says why a device cgroup rule opens more than named
// character devices: all devices (a), block devices (b) or any major or
// minor number (*).
func cgroupRuleRisk(rule string) string {
	f := strings.Fields(rule)
	if len(f) == 0 {
		return ""
	}
	switch {
	case f[0] == "a":
		return "allows every device"
	case f[0] == "b":
		return "allows block devices (the host's disks)"
	case len(f) > 1 && strings.Contains(f[1], "*"):
		return "allows every device of a type (a wildcard number)"
	case len(f) > 1 && f[0] == "c" && memoryCharDevices[f[1]] != "":
		return "allows " + memoryCharDevices[f[1]] + " by number"
	}
	return ""
}

// devices denies host block, memory and port devices and device cgroup
// rules that open them.
func (j *judgement) devices(field string, hc *apicontainer.HostConfig) {
	for i, d := range hc.Devices {
		if why := deviceRisk(d.PathOnHost); why != "" && !(path.IsAbs(d.PathOnHost) && rules.Has(j.d.pol.Config.Allow.Devices, path.Clean(d.PathOnHost))) {
			j.check("host-block-device", "pass only the named character devices the workload needs (--device /dev/fuse)", "%sDevices[%d].PathOnHost %q %s", field, i, truncate(d.PathOnHost, 60), why)
		}
	}
	for i, r := range hc.DeviceCgroupRules {
		if why := cgroupRuleRisk(r); why != "" {
			j.check("host-block-device", "allow only the named character devices the workload needs", "%sDeviceCgroupRules[%d] %q %s", field, i, truncate(r, 40), why)
		}
	}
}

// mountTypes are the mount types a Linux daemon takes.
var mountTypes = map[mount.Type]bool{mount.TypeBind: true, mount.TypeVolume: true, mount.TypeTmpfs: true, "image": true}

// consoleDevice reports the host's virtual consoles (/dev/tty0-63), the
// console itself, the console memory (/dev/vcs*) and the kernel log.
// Serial ports (/dev/ttyS*, /dev/ttyUSB*) are not consoles.
func consoleDevice(p string) bool {
	switch p {
	case "/dev/console", "/dev/kmsg", "/dev/tty":
		return true
	}
	if strings.HasPrefix(p, "/dev/vcs") {
		return true
	}
	if n, ok := strings.CutPrefix(p, "/dev/tty"); ok && n != "" {
		for _, c := range n {
			if c < '0' || c > '9' {
				return false
			}
		}
		return true
	}
	return false
}
