package conformance

import (
	"io"
	"net"
	"sync"
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
