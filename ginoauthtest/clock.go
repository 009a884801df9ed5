package ginoauthtest

import (
	"sync/atomic"
	"time"
)

// Clock is a clock for tests that runs with the real one until Advance
// moves it ahead, so that tokens expire and logins time out without the
// test waiting. Give the same Clock to the test provider (SetClock) and to
// the blueprint (ginoauth.Config.Now), so both agree on the time:
//
//	var clk ginoauthtest.Clock
//	srv.SetClock(clk.Now)
//	bp, _ := ginoauth.New(srv.Provider(), ginoauth.Config{..., Now: clk.Now})
//	clk.Advance(2 * time.Hour) // every token has expired
//
// The zero value is ready to use and it is safe for concurrent use. It
// stays close to real time on purpose: ID tokens and signed requests are
// also checked against clocks a test does not control.
type Clock struct{ ahead atomic.Int64 }

// Now returns the real time plus everything Advance added.
func (c *Clock) Now() time.Time { return time.Now().Add(time.Duration(c.ahead.Load())) }

// Advance moves the clock ahead by d.
func (c *Clock) Advance(d time.Duration) { c.ahead.Add(int64(d)) }
