package dockerfile

// InitWrapper reports whether a program only wraps the real entrypoint
// (tini, dumb-init, …).
func InitWrapper(name string) bool { return initWrappers[name] }
