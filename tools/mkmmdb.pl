#!/usr/bin/perl
# mkmmdb.pl: writes a small MaxMind DB (mmdb) file for tests and demos of the geo enrichment
# (enrich/geo.h), with MaxMind's own writer (MaxMind::DB::Writer::Tree, Debian package
# libmaxmind-db-writer-perl, installed by tools/deps.sh).
#
#   perl tools/mkmmdb.pl [-4] [-t DATABASE_TYPE] KIND OUT.mmdb [SPEC...]
#
#   KIND    city    database_type "GeoLite2-City":    country=CC city=NAME registered_country=CC
#           country database_type "GeoLite2-Country": country=CC registered_country=CC
#           asn     database_type "GeoLite2-ASN":     asn=NUMBER org=NAME
#           owner   database_type "certsweep-Owner":  owner=NAME business_unit=NAME site=NAME
#   -t      writes another database_type (the record fields stay those of KIND)
#   -4      an IPv4-only database (ip_version 4); the default is an IPv6 database in which
#           IPv4 networks live in ::/96 and ::ffff:0:0/96, 2002::/16 and 2001::/32 alias them,
#           as in MaxMind's own databases
#   SPEC    one network per argument, or when none is given one per line on stdin (UTF-8; blank
#           lines and lines starting with # are skipped): a network in CIDR notation, then
#           KEY=VALUE fields; a word without a known KEY= continues the previous value, so
#           "127.0.1.0/24 asn=64500 org=Example Net" stores the organisation "Example Net".
#
# Reserved networks (loopback included) are kept: the tests use 127.0.0.0/8 and ::1.
#
# Example:
#   printf '%s\n' '127.0.0.0/24 country=DE city=Berlin' '::1/128 country=NL city=Amsterdam' |
#       perl tools/mkmmdb.pl city /tmp/city.mmdb
#
# Exit status 0 when written, 1 on a bad spec (the message names the line), 2 on bad usage.
use strict;
use warnings;

use Encode qw( decode FB_CROAK );
use Getopt::Long qw( GetOptionsFromArray );

my %KINDS = (
	city    => { type => 'GeoLite2-City', keys => [qw( country city registered_country )] },
	country => { type => 'GeoLite2-Country', keys => [qw( country registered_country )] },
	asn     => { type => 'GeoLite2-ASN', keys => [qw( asn org )] },
	owner   => { type => 'certsweep-Owner', keys => [qw( owner business_unit site )] },
);

# Types of every map key the records use (the writer asks for each key it serialises).
my %KEY_TYPES = (
	country                        => 'map',
	registered_country             => 'map',
	city                           => 'map',
	names                          => 'map',
	iso_code                       => 'utf8_string',
	en                             => 'utf8_string',
	autonomous_system_number       => 'uint32',
	autonomous_system_organization => 'utf8_string',
	owner                          => 'utf8_string',
	business_unit                  => 'utf8_string',
	site                           => 'utf8_string',
);

sub usage {
	print STDERR "usage: mkmmdb.pl [-4] [-t DATABASE_TYPE] city|country|asn|owner OUT.mmdb "
		. "[SPEC...]\n";
	exit 2;
}

sub fail {
	my ($where, $msg) = @_;
	print STDERR "mkmmdb.pl: $where: $msg\n";
	exit 1;
}

# The record of one spec line's fields, in the shape GeoIP2/GeoLite2 readers expect.
sub record {
	my ($where, %f) = @_;
	my %r;
	$r{country} = { iso_code => $f{country} } if defined $f{country};
	$r{registered_country} = { iso_code => $f{registered_country} }
		if defined $f{registered_country};
	$r{city} = { names => { en => $f{city} } } if defined $f{city};
	if (defined $f{asn}) {
		fail($where, "asn must be a number from 0 to 4294967295")
			unless $f{asn} =~ /^(?:AS)?([0-9]{1,10})$/ && $1 <= 4294967295;
		$r{autonomous_system_number} = $1 + 0;
	}
	$r{autonomous_system_organization} = $f{org} if defined $f{org};
	for my $k (qw( owner business_unit site )) {
		$r{$k} = $f{$k} if defined $f{$k};
	}
	return \%r;
}

# Splits "NETWORK key=value words key=value" into the network and the fields.
sub parse_line {
	my ($where, $line, $allowed) = @_;
	my ($net, @words) = split ' ', $line;
	my (%f, $key);
	fail($where, "no network") unless defined $net;
	fail($where, "\"$net\" is not a network in CIDR notation (ADDRESS/BITS)")
		unless $net =~ m{^[0-9A-Fa-f:.]+/[0-9]{1,3}$};
	for my $w (@words) {
		if ($w =~ /^([a-z_]+)=(.*)$/s && exists $allowed->{$1}) {
			$key = $1;
			fail($where, "$key given twice") if defined $f{$key};
			$f{$key} = $2;
		} elsif (defined $key) {
			$f{$key} .= " $w";
		} else {
			fail($where, "\"$w\" is not one of: "
				. join(' ', map { "$_=" } sort keys %$allowed));
		}
	}
	return ($net, %f);
}

sub main {
	my @argv = @ARGV;
	my ($v4, $dbtype);
	GetOptionsFromArray(\@argv, '4' => \$v4, 't=s' => \$dbtype) or usage();
	my ($kind, $out, @specs) = @argv;
	usage() unless defined $out && defined $kind && exists $KINDS{$kind};
	my %allowed = map { $_ => 1 } @{ $KINDS{$kind}{keys} };

	my @lines;
	if (@specs) {
		for my $i (0 .. $#specs) {
			my $text = eval { decode('UTF-8', $specs[$i], FB_CROAK) };
			fail("argument " . ($i + 1), "not UTF-8") unless defined $text;
			push @lines, [ "argument " . ($i + 1), $text ];
		}
	} else {
		binmode STDIN, ':raw';
		my $n = 0;
		while (my $l = <STDIN>) {
			$n++;
			my $text = eval { decode('UTF-8', $l, FB_CROAK) };
			fail("line $n", "not UTF-8") unless defined $text;
			$text =~ s/\r?\n\z//;
			next if $text =~ /^\s*(?:#|$)/;
			push @lines, [ "line $n", $text ];
		}
	}

	# Loaded here, so that a missing module is reported with the package that provides it.
	eval { require MaxMind::DB::Writer::Tree; 1 } or do {
		print STDERR "mkmmdb.pl: MaxMind::DB::Writer::Tree is missing: install "
			. "libmaxmind-db-writer-perl (sh tools/deps.sh, or make deps)\n";
		exit 1;
	};
	my $desc = "certsweep test $kind database (tools/mkmmdb.pl)";
	my $tree = MaxMind::DB::Writer::Tree->new(
		ip_version               => $v4 ? 4 : 6,
		record_size              => 28,
		database_type            => $dbtype // $KINDS{$kind}{type},
		languages                => ['en'],
		description              => { en => $desc },
		map_key_type_callback    => sub { $KEY_TYPES{ $_[0] } },
		remove_reserved_networks => 0,
		alias_ipv6_to_ipv4       => $v4 ? 0 : 1,
	);
	for my $l (@lines) {
		my ($where, $text) = @$l;
		my ($net, %f) = parse_line($where, $text, \%allowed);
		fail($where, "an IPv6 network in an IPv4 database (-4)") if $v4 && $net =~ /:/;
		my $r = record($where, %f);
		eval { $tree->insert_network($net, $r); 1 } or do {
			my $e = $@;
			$e =~ s/\s+\z//;
			$e =~ s/\n.*//s;
			fail($where, "cannot insert $net: $e");
		};
	}
	my $tmp = "$out.tmp$$";
	open(my $fh, '>:raw', $tmp) or fail($out, "cannot write $tmp: $!");
	my $ok = eval { $tree->write_tree($fh); 1 };
	my $e = $@;
	if (!close($fh) || !$ok) {
		unlink $tmp;
		fail($out, $ok ? "cannot write $tmp: $!" : "cannot write: $e");
	}
	rename($tmp, $out) or fail($out, "cannot rename $tmp: $!");
	return 0;
}

exit main();
