# common.sh: shell functions shared by farm.sh and testpki.sh, which source it (POSIX sh).
# The sourcing script defines die() (message to stderr with its own prefix, then exit 1).

# farm_base: prints CERTSWEEP_FARM_BASE (default 20400), the farm's first port; dies unless it
# is a number in 1024..60000.
farm_base() {
	b=${CERTSWEEP_FARM_BASE:-20400}
	case $b in
	'' | *[!0-9]*) die "CERTSWEEP_FARM_BASE must be a number" ;;
	esac
	if [ "$b" -lt 1024 ] || [ "$b" -gt 60000 ]; then
		die "CERTSWEEP_FARM_BASE must be in 1024..60000"
	fi
	echo "$b"
}
