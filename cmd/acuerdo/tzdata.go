package main

// The binary carries the IANA time-zone database (about 450 kB) so that
// contact hours are computed in the debtor's zone on machines and container
// images without /usr/share/zoneinfo, such as the FROM scratch image the
// Dockerfile builds. Go uses the system's copy first when there is one.
import _ "time/tzdata"
