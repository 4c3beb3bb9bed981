#!/bin/sh
# smsagent.yaml(5) from the annotated configuration file (every option, its default and its
# comment), so the manual and Config/smsagent.yaml cannot drift apart.
#   sh packaging/yaml-manpage.sh Config/smsagent.yaml VERSION > smsagent.yaml.5
set -eu
config=$1
version=$2
cat <<HEADER
.TH SMSAGENT.YAML 5 "" "smsagent $version" "File Formats Manual"
.SH NAME
smsagent.yaml \\- configuration of the smsagent SMS agent
.SH SYNOPSIS
.B /etc/smsagent/smsagent.yaml
.SH DESCRIPTION
The configuration of
.BR smsagent (1):
modems, sender, compliance rules (footer, quiet hours), credits, sending, inbound SMS and hooks.
Every option may be omitted; the defaults are those shown below. Unknown keys are errors.
Durations are written 500ms, 3s, 5m, 24h or 1d (a bare number is seconds).
.PP
Check a file with
.BR "smsagent check-config /etc/smsagent/smsagent.yaml" ;
it prints the effective configuration, or the first error with its file, line and key.
The service reads the file at start and again on
.B systemctl reload smsagent
(SIGHUP); data_directory and log_level change only with a restart.
.PP
The service starts only once
.B sender.brand
is set (the advertiser's name every marketing SMS carries).
.SH OPTIONS
The installed file, with the meaning of every option in its comments:
.PP
.nf
.ft CR
HEADER
sed -e 's/\\/\\e/g' -e "s/^\\./\\\\\\&./" -e "s/^'/\\\\\\&'/" "$config"
cat <<'FOOTER'
.ft
.fi
.SH FILES
.TP
.I /etc/smsagent/smsagent.yaml
this file (mode 0640, root:smsagent: it may hold a SIM PIN)
.TP
.I /var/lib/smsagent
the default data directory
.SH SEE ALSO
.BR smsagent (1),
.BR smsagent.check-config (1),
.BR smsagent.run (1),
.BR systemd.service (5)
FOOTER
