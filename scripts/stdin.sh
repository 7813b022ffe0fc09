# Sourced by setup.sh, test.sh and demo.sh (not run on its own).
#
# Nothing in these scripts reads the terminal, but cargo lets rustc read stdin when it probes
# the target (`rustc - --print=...`), so stdin must be empty. Measured on these machines:
# /dev/null can be a *regular file* (`ls -la /dev/null` shows `-rw-rw-rw-`), so everything
# "discarded" into it is read back; CI's cargo test failed twice on build-script noise read
# from it. So: put the real device back when we are root, and take stdin from an empty pipe,
# which needs no /dev/null at all.
if [ ! -c /dev/null ] && [ "$(id -u)" = 0 ]; then
    rm -f /dev/null && mknod -m 666 /dev/null c 1 3 \
        || echo "warning: /dev/null is not a device and could not be recreated" >&2
fi
exec < <(:)
