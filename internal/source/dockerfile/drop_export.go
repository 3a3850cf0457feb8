package dockerfile

// DropIn reports which privilege-dropping tool a command runs (gosu,
// su-exec, setpriv with a uid, chroot --userspec, s6-setuidgid, runuser), or
// "": the image source judges entrypoint scripts it reads from layers the
// same way.
func DropIn(args []string) string { return dropIn(args) }

// InitWrapper reports whether a program only wraps the real entrypoint
// (tini, dumb-init, …).
func InitWrapper(name string) bool { return initWrappers[name] }
