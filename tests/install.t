#!/bin/sh
# install.t: make install honours PREFIX and DESTDIR and installs every
# program, the driver and every man page, and uninstall removes them.
. tests/lib.sh

root="$T/root"
make -s -C "$TOP" install PREFIX=/opt/ps DESTDIR="$root" > "$T/out" 2>&1
ok $? "make install PREFIX=/opt/ps DESTDIR=... succeeds"

for d in "$TOP"/tools/*/; do
	p=$(basename "$d")
	[ "$p" = lib ] && continue
	[ -x "$root/opt/ps/bin/$p" ]
	ok $? "bin/$p is installed and executable"
done
[ -x "$root/opt/ps/bin/run-sync.sh" ]
ok $? "run-sync.sh is installed and executable"
for m in "$TOP"/man/*.[158]; do
	s=${m##*.}
	n=${m##*/}
	[ -f "$root/opt/ps/share/man/man$s/$n" ]
	ok $? "$n is installed in man$s"
done
for f in config.example.json cron.example sql/FA.sql sql/PH.sql \
    sql/SKPP.sql sql/SKPV.sql systemd/pohoda-sync.service \
    systemd/pohoda-sync.timer; do
	[ -f "$root/opt/ps/share/pohoda-sync/$f" ]
	ok $? "share/pohoda-sync/$f is installed"
done
n=$(find "$root" -path "$root/opt" -prune -o -print | grep -vc "^$root\$")
is "$n" 0 "nothing is installed outside PREFIX"

make -s -C "$TOP" uninstall PREFIX=/opt/ps DESTDIR="$root" > "$T/out" 2>&1
ok $? "make uninstall succeeds"
left=$(find "$root" -type f | wc -l)
is "$left" 0 "uninstall removes every installed file"
done_testing
