#!/bin/sh
# Create (or reset) the broker login of one gate device and print it.
#
#   add-device.sh SITE GATE        e.g. add-device.sh JMS01 G1
#
# The username is SITE/GATE: the ACL patterns expand %u to it (loadgate/%u/scan becomes
# loadgate/JMS01/G1/scan), so the device reaches only its own gate's topics. The password is 32
# random letters and digits; it is printed once and stored only hashed. Reload the broker after
# (systemctl reload loadgate-mosquitto) so that it reads the file again.
#
# LOADGATE_MQTT_PASSWD names the password file (default /etc/mosquitto/loadgate/passwd).
set -eu

usage() {
    echo "usage: $0 SITE GATE   (letters, digits, _ and -)" >&2
    exit 2
}

[ $# -eq 2 ] || usage
site=$1
gate=$2
for part in "$site" "$gate"; do
    # No '/', '+', '#' or ':' - they would break the topic levels or the password file.
    case $part in
        "" | *[!A-Za-z0-9_-]*) usage ;;
    esac
done

file=${LOADGATE_MQTT_PASSWD:-/etc/mosquitto/loadgate/passwd}
user="$site/$gate"

if command -v openssl >/dev/null 2>&1; then
    password=$(openssl rand -base64 48 | tr -dc 'A-Za-z0-9' | cut -c1-32)
else
    password=$(tr -dc 'A-Za-z0-9' </dev/urandom | head -c 32)
fi
[ ${#password} -eq 32 ] || { echo "$0: could not generate a password" >&2; exit 1; }

umask 027
if [ -e "$file" ]; then
    mosquitto_passwd -b "$file" "$user" "$password"
else
    mosquitto_passwd -c -b "$file" "$user" "$password"
fi
# The broker reads the file as the mosquitto user; nobody else may.
chmod 0640 "$file"
if [ "$(id -u)" -eq 0 ] && getent group mosquitto >/dev/null 2>&1; then
    chgrp mosquitto "$file"
fi

printf 'username=%s\npassword=%s\n' "$user" "$password"
echo "reload the broker to apply: systemctl reload loadgate-mosquitto" >&2
