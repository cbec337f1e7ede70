package conformance

import (
	"io"
	"net"
	"sync"

	"github.com/ssh3-project/ssh3/frame"
)

// echoTargets are the suite's loopback TCP and UDP echo servers, the
// forwarding targets of the direct-* checks. The TCP echo answers a
// half-close with "bye" and then closes (to see FIN travel both ways).
type echoTargets struct {
	once sync.Once
	tcp  net.Listener
	udp  net.PacketConn
	err  error
}

func (e *echoTargets) start() error {
	e.once.Do(func() {
		e.tcp, e.err = net.Listen("tcp", "127.0.0.1:0")
		if e.err != nil {
			return
		}
		e.udp, e.err = net.ListenPacket("udp", "127.0.0.1:0")
		if e.err != nil {
			return
		}
		go func() {
			for {
				c, err := e.tcp.Accept()
				if err != nil {
					return
				}
				go func() {
					defer c.Close()
					_, _ = io.Copy(c, c)
					_, _ = c.Write([]byte("bye"))
				}()
			}
		}()
		go func() {
			buf := make([]byte, 65536)
			for {
				n, a, err := e.udp.ReadFrom(buf)
				if err != nil {
					return
				}
				_, _ = e.udp.WriteTo(buf[:n], a)
			}
		}()
	})
	return e.err
}

func (e *echoTargets) close() {
	if e.tcp != nil {
		e.tcp.Close()
	}
	if e.udp != nil {
		e.udp.Close()
	}
}

// echoConv is the prelude of the checks that forward to the suite's
// loopback echo targets: it skips the check with why unless the target is
// on loopback, starts the echo targets and opens a conversation. It
// returns nil when it has already reported the check.
func (t *T) echoConv(why string) *Conv {
	if !t.s.local {
		t.skip(why)
		return nil
	}
	if err := t.s.echo.start(); err != nil {
		t.fail("echo", err.Error())
		return nil
	}
	return t.mustConv()
}

// echoChannel is echoConv, then a channel of typ (direct-tcp, or
// direct-udp returned once its 91 came) to the matching echo target. It
// returns nils when it has already reported the check.
func (t *T) echoChannel(typ, why string) (*Conv, *Chan) {
	cv := t.echoConv(why)
	if cv == nil {
		return nil, nil
	}
	tcp, udp := echoAddrs(t.s)
	var ch *Chan
	var err error
	if typ == frame.ChannelDirectUDP {
		ch, _, err = openUDP(t, cv, udp)
	} else {
		ch, err = cv.Open(typ, &tcp)
	}
	if err != nil {
		t.fail(typ, Describe(err))
		return nil, nil
	}
	return cv, ch
}
