package shell

import "testing"

func TestDropIn(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"gosu", "app", "/srv"}, "gosu"},
		{[]string{"/sbin/su-exec", "app", "/srv"}, "su-exec"},
		{[]string{"exec", "s6-setuidgid", "app", "/srv"}, "s6-setuidgid"},
		{[]string{"runuser", "-u", "app", "--", "/srv"}, "runuser"},
		{[]string{"setpriv", "--reuid=1000", "--regid=1000", "--init-groups", "/srv"}, "setpriv"},
		{[]string{"setpriv", "--no-new-privs", "/srv"}, ""},
		{[]string{"chroot", "--userspec=1000:1000", "/", "/srv"}, "chroot --userspec"},
		{[]string{"chroot", "/", "/srv"}, ""},
		{[]string{"su", "app", "-c", "/srv"}, "su"},
		{[]string{"su", "-s", "/bin/sh", "-c", "/srv", "app"}, "su"},
		{[]string{"su", "-", "postgres", "-c", "postgres"}, "su"},
		{[]string{"su", "-c", "/srv"}, ""},
		{[]string{"su", "root", "-c", "/srv"}, ""},
		{[]string{"setuidgid", "app", "/srv"}, "setuidgid"},
		{[]string{"setuidgid", "root", "/srv"}, ""},
		{[]string{"/srv"}, ""},
	} {
		if got := DropIn(tc.args); got != tc.want {
			t.Errorf("%q: %q, want %q", tc.args, got, tc.want)
		}
	}
}
