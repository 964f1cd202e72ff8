//go:build faults

package faults

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// proxy forwards TCP connections from a local port to target. cut drops every live
// connection and refuses new ones (accepted, then closed at once) until restore;
// slow delays everything the target sends by a fixed latency.
type proxy struct {
	ln      net.Listener
	target  string
	latency atomic.Int64 // nanoseconds added to each chunk from the target

	mu      sync.Mutex
	conns   map[net.Conn]struct{}
	cutting bool
	wg      sync.WaitGroup
}

// startProxy listens on a free local port in front of target until the test ends.
func startProxy(t *testing.T, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.close)
	return p
}

// Addr is where clients connect instead of the target.
func (p *proxy) Addr() string { return p.ln.Addr().String() }

func (p *proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return // closed
		}
		p.mu.Lock()
		refuse := p.cutting
		p.mu.Unlock()
		if refuse {
			reset(c)
			continue
		}
		p.wg.Add(1)
		go p.forward(c)
	}
}

// forward pipes one client connection to a new connection to the target.
func (p *proxy) forward(client net.Conn) {
	defer p.wg.Done()
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		reset(client)
		return
	}
	if !p.track(client, server) {
		reset(client)
		reset(server)
		return
	}
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn, move func(dst, src net.Conn)) {
		move(dst, src)
		// One side ended: end both, so neither end waits on a half-open connection.
		_ = dst.Close()
		_ = src.Close()
		done <- struct{}{}
	}
	go pipe(server, client, func(dst, src net.Conn) { _, _ = io.Copy(dst, src) })
	go pipe(client, server, p.delayed)
	<-done
	<-done
	p.mu.Lock()
	delete(p.conns, client)
	delete(p.conns, server)
	p.mu.Unlock()
}

// delayed copies src to dst, holding each chunk for the proxy's latency at the time
// it was read (a delay line: order kept, throughput not limited).
func (p *proxy) delayed(dst, src net.Conn) {
	type chunk struct {
		data []byte
		due  time.Time
	}
	chunks := make(chan chunk, 256)
	go func() {
		defer close(chunks)
		for {
			buf := make([]byte, 32<<10)
			n, err := src.Read(buf)
			if n > 0 {
				chunks <- chunk{buf[:n], time.Now().Add(time.Duration(p.latency.Load()))}
			}
			if err != nil {
				return
			}
		}
	}()
	for c := range chunks {
		time.Sleep(time.Until(c.due))
		if _, err := dst.Write(c.data); err != nil {
			_ = src.Close() // ends the reader, which closes chunks
			for range chunks {
			}
			return
		}
	}
}

// slow makes everything the target sends arrive d later (0: no delay).
func (p *proxy) slow(d time.Duration) { p.latency.Store(int64(d)) }

// track records a live pair, unless a cut began meanwhile.
func (p *proxy) track(conns ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cutting {
		return false
	}
	for _, c := range conns {
		p.conns[c] = struct{}{}
	}
	return true
}

// cut drops every live connection (with a reset, as a failed network would) and
// refuses new ones until restore.
func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cutting = true
	for c := range p.conns {
		reset(c)
	}
}

// restore accepts connections again.
func (p *proxy) restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cutting = false
}

func (p *proxy) close() {
	_ = p.ln.Close()
	p.cut()
	p.wg.Wait()
}

// reset closes c with a TCP reset rather than an orderly end.
func reset(c net.Conn) {
	if tcp, ok := c.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
	_ = c.Close()
}
