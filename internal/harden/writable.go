package harden

// Writable is what a common image writes to when it runs: the paths that
// need a tmpfs under a read-only root filesystem, and the data folders the
// image declares as VOLUMEs (writable anyway: Docker puts an anonymous
// volume on a VOLUME nobody mounts, read_only or not).
type Writable struct {
	Tmpfs []string
	Data  []string
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
	"postgres": {Tmpfs: []string{"/var/run/postgresql"}, Data: []string{"/var/lib/postgresql"}},
	// docker-library/redis Dockerfile: VOLUME /data, the working folder
	// where RDB and AOF files are saved.
	"redis": {Data: []string{"/data"}},
	// docker-library/httpd: httpd.conf's PidFile is logs/httpd.pid under
	// ServerRoot /usr/local/apache2 (the logs themselves go to stdout and
	// stderr).
	"httpd": {Tmpfs: []string{"/usr/local/apache2/logs"}},
	// docker-library/mysql Dockerfile: /var/run/mysqld holds the socket
	// and PID file; VOLUME /var/lib/mysql.
	"mysql": {Tmpfs: []string{"/var/run/mysqld"}, Data: []string{"/var/lib/mysql"}},
	// docker-library/mariadb Dockerfile: /run/mysqld (socket, PID file);
	// VOLUME /var/lib/mysql.
	"mariadb": {Tmpfs: []string{"/run/mysqld"}, Data: []string{"/var/lib/mysql"}},
	// docker-library/mongo Dockerfile: VOLUME /data/db /data/configdb;
	// the server's socket is in /tmp (given anyway).
	"mongo": {Data: []string{"/data/db", "/data/configdb"}},
	// caddy (docker-library/caddy) Dockerfile: VOLUME /config /data
	// (certificates and autosaved configuration).
	"caddy": {Data: []string{"/config", "/data"}},
	// docker-library/rabbitmq Dockerfile: VOLUME /var/lib/rabbitmq.
	"rabbitmq": {Data: []string{"/var/lib/rabbitmq"}},
}

// writableFor is the table entry of an image reference.
func writableFor(image string) Writable {
	repo, _ := splitImage(image)
	return writableTable[repo]
}
