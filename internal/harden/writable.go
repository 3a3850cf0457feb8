package harden

// Writable is what harden knows of a common image: the paths it writes to
// when it runs that need a tmpfs under a read-only root filesystem, the
// data folders it declares as VOLUMEs (writable anyway: Docker puts an
// anonymous volume on a VOLUME nobody mounts, read_only or not), and its
// own service user when its config sets none because its entrypoint
// switches to that user itself (docker-library's images start as root and
// `exec gosu <user>`; started as that user they skip the switch), which
// harden gives rather than a numeric user the data folders do not belong to.
type Writable struct {
	Tmpfs []string
	Data  []string
	User  string
}

// writableTable is keyed by repository, in its short form (nginx for
// docker.io/library/nginx). Each entry says where it comes from; an image
// missing here gets /tmp only, and its VOLUMEs when the image is known.
var writableTable = map[string]Writable{
	// Docker Hub nginx, "Running nginx in read-only mode": the default
	// configuration writes /var/cache/nginx (client_temp, proxy_temp, …)
	// and /var/run (nginx.pid; /run/nginx.pid in newer images, where
	// /var/run is a link to /run, which the mount follows).
	"nginx": {Tmpfs: []string{"/var/cache/nginx", "/var/run"}},
	// docker-library/postgres Dockerfile: /var/run/postgresql is created
	// (mode 3777) for the server's Unix socket and lock file; the data is
	// the VOLUME /var/lib/postgresql/data up to 17, /var/lib/postgresql
	// (PGDATA /var/lib/postgresql/18/docker) from 18: the parent covers
	// both, and a mount of either counts.
	// The entrypoint switches to postgres (uid 999 on Debian, 70 on
	// Alpine: the name works on both).
	"postgres": {Tmpfs: []string{"/var/run/postgresql"}, Data: []string{"/var/lib/postgresql"}, User: "postgres"},
	// docker-library/redis Dockerfile: VOLUME /data, the working folder
	// where RDB and AOF files are saved.
	// Its entrypoint switches to redis, which owns /data.
	"redis": {Data: []string{"/data"}, User: "redis"},
	// docker-library/httpd: httpd.conf's PidFile is logs/httpd.pid under
	// ServerRoot /usr/local/apache2 (the logs themselves go to stdout and
	// stderr).
	"httpd": {Tmpfs: []string{"/usr/local/apache2/logs"}},
	// docker-library/mysql Dockerfile: /var/run/mysqld holds the socket
	// and PID file; VOLUME /var/lib/mysql; the entrypoint switches to mysql.
	"mysql": {Tmpfs: []string{"/var/run/mysqld"}, Data: []string{"/var/lib/mysql"}, User: "mysql"},
	// docker-library/mariadb Dockerfile: /run/mysqld (socket, PID file);
	// VOLUME /var/lib/mysql; the entrypoint switches to mysql.
	"mariadb": {Tmpfs: []string{"/run/mysqld"}, Data: []string{"/var/lib/mysql"}, User: "mysql"},
	// docker-library/mongo Dockerfile: VOLUME /data/db /data/configdb;
	// the server's socket is in /tmp (given anyway); the entrypoint
	// switches to mongodb.
	"mongo": {Data: []string{"/data/db", "/data/configdb"}, User: "mongodb"},
	// caddy (docker-library/caddy) Dockerfile: VOLUME /config /data
	// (certificates and autosaved configuration).
	"caddy": {Data: []string{"/config", "/data"}},
	// docker-library/rabbitmq Dockerfile: VOLUME /var/lib/rabbitmq; the
	// entrypoint switches to rabbitmq.
	"rabbitmq": {Data: []string{"/var/lib/rabbitmq"}, User: "rabbitmq"},
}

// userFor is the user harden gives a container of image that would run as
// root: the table's service user (own), else the numeric User.
func userFor(image string) (user string, own bool) {
	if u := writableFor(image).User; u != "" {
		return u, true
	}
	return User, false
}

// writableFor is the table entry of an image reference.
func writableFor(image string) Writable {
	repo, _ := splitImage(image)
	return writableTable[repo]
}
