package driver_test

import (
	"encoding/binary"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// fault is what the proxy does to a statement the client sends.
type fault int

const (
	faultNone fault = iota
	// faultBefore resets the connection instead of forwarding the
	// statement: it never runs.
	faultBefore
	// faultAfter forwards the statement and resets the connection once
	// the server is ready again, before the client hears so: the statement
	// ran, and the client sees a lost connection.
	faultAfter
	// faultMidRows forwards the statement and resets the connection after
	// the first row the server sends back.
	faultMidRows
)

// faultProxy is a TCP proxy between a PostgreSQL driver and the server that
// reads the protocol's message framing and breaks connections around
// statements (simple Query and extended Execute messages) as decide says.
type faultProxy struct {
	t      testing.TB
	ln     net.Listener
	target string
	decide func(msg []byte) fault
	wg     sync.WaitGroup
	// resets counts connections the proxy broke.
	resets atomic.Int64
}

func newFaultProxy(t testing.TB, target string, decide func(msg []byte) fault) *faultProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &faultProxy{t: t, ln: ln, target: target, decide: decide}
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(func() {
		ln.Close()
		p.wg.Wait()
	})
	return p
}

// dsn points a PostgreSQL URL DSN at the proxy.
func (p *faultProxy) dsn(dsn string) string {
	return strings.Replace(dsn, p.target, p.ln.Addr().String(), 1)
}

func (p *faultProxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		pc := &proxyConn{p: p, c: c, s: s}
		p.wg.Add(2)
		go pc.up()
		go pc.down()
	}
}

type proxyConn struct {
	p    *faultProxy
	c, s net.Conn
	once sync.Once
	// kill is the fault armed by the last statement, read by down.
	kill atomic.Int32
}

func (pc *proxyConn) close(fault bool) {
	pc.once.Do(func() {
		if fault {
			pc.p.resets.Add(1)
		}
		pc.c.Close()
		pc.s.Close()
	})
}

// readMsg reads one message: untyped (the startup message) or typed.
func readMsg(r io.Reader, typed bool) ([]byte, error) {
	n := 4
	if typed {
		n = 5
	}
	head := make([]byte, n)
	if _, err := io.ReadFull(r, head); err != nil {
		return nil, err
	}
	size := int(binary.BigEndian.Uint32(head[n-4:])) - 4
	if size < 0 || size > 1<<26 {
		return nil, io.ErrUnexpectedEOF
	}
	msg := make([]byte, n+size)
	copy(msg, head)
	_, err := io.ReadFull(r, msg[n:])
	return msg, err
}

// up forwards the client's messages, deciding a fault on each statement.
func (pc *proxyConn) up() {
	defer pc.p.wg.Done()
	defer pc.close(false)
	typed := false // the startup message has no type byte (sslmode=disable)
	for {
		msg, err := readMsg(pc.c, typed)
		if err != nil {
			return
		}
		if typed && (msg[0] == 'Q' || msg[0] == 'E') {
			switch f := pc.p.decide(msg); f {
			case faultBefore:
				pc.close(true)
				return
			case faultAfter, faultMidRows:
				pc.kill.Store(int32(f))
			}
		}
		typed = true
		if _, err := pc.s.Write(msg); err != nil {
			return
		}
	}
}

// down forwards the server's messages, breaking the connection where the
// armed fault says.
func (pc *proxyConn) down() {
	defer pc.p.wg.Done()
	defer pc.close(false)
	for {
		msg, err := readMsg(pc.s, true)
		if err != nil {
			return
		}
		switch fault(pc.kill.Load()) {
		case faultAfter:
			if msg[0] == 'Z' { // ReadyForQuery: the statement is done
				pc.close(true)
				return
			}
		case faultMidRows:
			if msg[0] == 'D' { // the first row, forwarded
				_, _ = pc.c.Write(msg)
				pc.close(true)
				return
			}
		}
		if _, err := pc.c.Write(msg); err != nil {
			return
		}
	}
}
