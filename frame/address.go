package frame

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strconv"
	"unicode/utf8"

	"github.com/ssh3-project/ssh3/wire"
)

// Address families of the address block (§5.1, G3).
const (
	FamilyName = 0 // a host name, resolved by the server (rth3-00 only)
	FamilyIPv4 = 4
	FamilyIPv6 = 6
)

// MaxHostNameLen bounds a family-0 host name (G3).
const MaxHostNameLen = 255

// Address is the address block of forwarding headers and requests:
// family (i), then 4 or 16 address bytes or a host name string, then a
// 16-bit big-endian port (§5.1, G3). IP keeps the form on the wire: the
// original client sends IPv4 targets as family 6 with an IPv4-mapped
// address, and [Address.AddrPort] unmaps it.
type Address struct {
	Family uint64
	IP     netip.Addr // families 4 and 6
	Host   string     // family 0
	Port   uint16
}

// IPAddress is the address block for ap: family 4 for IPv4, 6 otherwise.
func IPAddress(ap netip.AddrPort) Address {
	ip := ap.Addr().Unmap()
	if ip.Is4() {
		return Address{Family: FamilyIPv4, IP: ip, Port: ap.Port()}
	}
	return Address{Family: FamilyIPv6, IP: ip.WithZone(""), Port: ap.Port()}
}

// NameAddress is a family-0 block for host:port.
func NameAddress(host string, port uint16) Address {
	return Address{Family: FamilyName, Host: host, Port: port}
}

// AddrPort is the IP address and port, with IPv4-mapped IPv6 turned into
// IPv4 so that policy sees the real family (X-ROB-31). It is invalid for a
// host name.
func (a Address) AddrPort() netip.AddrPort {
	if a.Family == FamilyName {
		return netip.AddrPort{}
	}
	return netip.AddrPortFrom(a.IP.Unmap(), a.Port)
}

// String is host:port, IPv6 in brackets.
func (a Address) String() string {
	if a.Family == FamilyName {
		return netipJoin(a.Host, a.Port)
	}
	return a.AddrPort().String()
}

func netipJoin(host string, port uint16) string {
	if ip, err := netip.ParseAddr(host); err == nil && ip.Is6() {
		return "[" + host + "]:" + strconv.Itoa(int(port))
	}
	return host + ":" + strconv.Itoa(int(port))
}

func (a Address) len() int {
	switch a.Family {
	case FamilyIPv4:
		return 1 + 4 + 2
	case FamilyIPv6:
		return 1 + 16 + 2
	}
	return varLen(a.Family) + strLen(len(a.Host)) + 2
}

// check reports an address that cannot be encoded.
func (a Address) check(names bool) error {
	switch a.Family {
	case FamilyIPv4:
		if !a.IP.Is4() {
			return &ValueError{What: "address block", Reason: fmt.Sprintf("family 4 with address %v", a.IP)}
		}
	case FamilyIPv6:
		if !a.IP.Is6() {
			return &ValueError{What: "address block", Reason: fmt.Sprintf("family 6 with address %v", a.IP)}
		}
	case FamilyName:
		if !names {
			return &ValueError{What: "address block", Reason: "host names are not allowed in this profile"}
		}
		if a.Host == "" || len(a.Host) > MaxHostNameLen || !utf8.ValidString(a.Host) {
			return &ValueError{What: "address block", Reason: "host name must be 1 to 255 bytes of UTF-8"}
		}
	default:
		return &ValueError{What: "address block", Reason: fmt.Sprintf("unknown family %d", a.Family)}
	}
	return nil
}

func (a Address) append(b []byte) []byte {
	b = wire.AppendVarint(b, a.Family)
	switch a.Family {
	case FamilyIPv4:
		ip := a.IP.As4()
		b = append(b, ip[:]...)
	case FamilyIPv6:
		ip := a.IP.As16()
		b = append(b, ip[:]...)
	default:
		b = wire.AppendString(b, a.Host)
	}
	return binary.BigEndian.AppendUint16(b, a.Port)
}

// parseAddress reads an address block; names says whether family 0 is
// allowed.
func parseAddress(d *decoder, names bool) Address {
	a := Address{Family: d.varint("address family")}
	if d.err != nil {
		return a
	}
	switch a.Family {
	case FamilyIPv4:
		if p := d.fixed("IPv4 address", 4); p != nil {
			a.IP = netip.AddrFrom4([4]byte(p))
		}
	case FamilyIPv6:
		if p := d.fixed("IPv6 address", 16); p != nil {
			a.IP = netip.AddrFrom16([16]byte(p))
		}
	case FamilyName:
		if !names {
			d.err = &FieldError{What: d.what, Field: "address family", Err: fmt.Errorf("host names (family 0) are not allowed in this profile")}
			return a
		}
		a.Host = d.utf8("host name")
		if d.err == nil && (a.Host == "" || len(a.Host) > MaxHostNameLen) {
			d.err = &FieldError{What: d.what, Field: "host name", Err: fmt.Errorf("length %d, want 1 to %d", len(a.Host), MaxHostNameLen)}
		}
	default:
		d.err = &FieldError{What: d.what, Field: "address family", Err: fmt.Errorf("unknown family %d", a.Family)}
		return a
	}
	if p := d.fixed("port", 2); p != nil {
		a.Port = binary.BigEndian.Uint16(p)
	}
	return a
}
