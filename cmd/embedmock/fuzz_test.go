package main

import (
	"bytes"
	"context"
	"flag"
	"io"
	"slices"
	"strings"
	"testing"
	"time"
)

// fuzzCommand is a command with the flags every server command has plus
// one flag of each other kind `embedmock serve` defines, each bound to its
// environment variable.
func fuzzCommand() (*command, *listenFlags) {
	c := newCommand("serve", io.Discard)
	lf := c.listenFlags()
	c.fs.Duration("batch-delay", 0, "")
	c.fs.Int("max-files", 1000, "")
	c.fs.Bool("legacy-models", false, "")
	c.fs.Float64("fault-rate", 0, "")
	c.fs.Uint64("fault-seed", 1, "")
	c.fs.String("vectors", "lexical", "")
	cache := byteSize(8 << 20)
	c.fs.Var(&cache, "vector-cache", "")
	var keys stringList
	c.fs.Var(&keys, "api-key", "")
	for name, env := range map[string]string{
		"batch-delay": "EMBEDMOCK_BATCH_DELAY", "max-files": "EMBEDMOCK_MAX_FILES", "legacy-models": "EMBEDMOCK_LEGACY_MODELS",
		"fault-rate": "EMBEDMOCK_FAULT_RATE", "fault-seed": "EMBEDMOCK_FAULT_SEED", "vectors": "EMBEDMOCK_VECTORS",
		"vector-cache": "EMBEDMOCK_VECTOR_CACHE",
	} {
		c.bind(name, env, false)
	}
	c.bind("api-key", "EMBEDMOCK_API_KEYS", true)
	slices.SortFunc(c.env, func(a, b envFlag) int { return strings.Compare(a.env, b.env) })
	return c, lf
}

// FuzzFlagValues fuzzes the flag value parsers: byteSize.Set, stringList,
// and applyEnv with fuzzed environment values (a fake lookup). Nothing may
// panic; a size that parses is non-negative and parses again from its
// String; a list keeps every value; applyEnv sets a flag exactly as the
// command line would with the trimmed value (each non-blank comma-separated
// part for a list), leaves a flag given on the command line alone, and
// names the variable in its errors.
func FuzzFlagValues(f *testing.F) {
	for _, seed := range []struct {
		size, list string
		sel        uint8
		value      string
		given      bool
	}{
		{"20M", "a,b", 0, "127.0.0.1:0", false},
		{"20MB", "", 1, "10MiB", false},
		{"2G", ",,", 1, "-1", false},
		{"1KiB", "x", 1, "4611686018427387904", false},
		{"4611686018427387903", "x", 1, "4194304G", false},
		{"4194303G", "a", 1, "4194304g", true},
		{" 7k ", "a", 2, " 1h30m ", false},
		{"", "", 2, "forever", false},
		{"B", "", 3, "k1,,k2 , ,k3", false},
		{"iB", "", 3, "", false},
		{"+5", "", 4, "true", false},
		{"-0", "", 4, "maybe", false},
		{"1e3", "", 5, "0.5", false},
		{"0x10", "", 5, "NaN", false},
		{"9223372036854775807", "", 6, "18446744073709551616", false},
		{"1\x00M", "", 7, "999999999999999999999", false},
		{"５M", "", 8, "hash", false},
		{"M", "", 9, "1K", false},
	} {
		f.Add(seed.size, seed.list, seed.sel, seed.value, seed.given)
	}

	f.Fuzz(func(t *testing.T, size, list string, sel uint8, value string, given bool) {
		// byteSize.Set.
		var b byteSize
		if err := b.Set(size); err == nil {
			if b < 0 {
				t.Fatalf("size %q parsed to %d", size, b)
			}
			var again byteSize
			if err := again.Set(b.String()); err != nil || again != b {
				t.Fatalf("size %q parsed to %d, which does not parse back (%d, %v)", size, b, again, err)
			}
		} else if !strings.Contains(err.Error(), "invalid size") {
			t.Fatalf("size %q: unexpected error %v", size, err)
		}

		// stringList keeps every value, in order.
		var l stringList
		parts := strings.Split(list, ",")
		for _, p := range parts {
			if err := l.Set(p); err != nil {
				t.Fatal(err)
			}
		}
		if !slices.Equal(l, parts) || l.String() != list {
			t.Fatalf("list %q kept %q", list, l)
		}

		// applyEnv: one variable set to value.
		c, _ := fuzzCommand()
		ef := c.env[int(sel)%len(c.env)]
		var args []string
		if given {
			args = []string{"--" + ef.name + "=" + defaultArg(c.fs.Lookup(ef.name))}
		}
		if err := c.fs.Parse(args); err != nil {
			t.Fatalf("parse %q: %v", args, err)
		}
		before := c.fs.Lookup(ef.name).Value.String()
		lookup := func(name string) (string, bool) {
			if name == ef.env {
				return value, true
			}
			return "", false
		}
		err := applyEnv(c.fs, c.env, lookup)
		after := c.fs.Lookup(ef.name).Value.String()
		if given {
			if err != nil || after != before {
				t.Fatalf("%s=%q changed --%s given on the command line: %q -> %q (%v)", ef.env, value, ef.name, before, after, err)
			}
			return
		}

		// What the command line would do with the same value(s).
		ref, _ := fuzzCommand()
		var refErr error
		if ef.list {
			for _, v := range strings.Split(value, ",") {
				if strings.TrimSpace(v) != "" && refErr == nil {
					refErr = ref.fs.Set(ef.name, strings.TrimSpace(v))
				}
			}
		} else {
			refErr = ref.fs.Set(ef.name, strings.TrimSpace(value))
		}
		if (err == nil) != (refErr == nil) {
			t.Fatalf("%s=%q: applyEnv error %v, flag.Set error %v", ef.env, value, err, refErr)
		}
		if err != nil {
			if !strings.Contains(err.Error(), ef.env) {
				t.Fatalf("%s=%q: error %q does not name the variable", ef.env, value, err)
			}
			return
		}
		if want := ref.fs.Lookup(ef.name).Value.String(); after != want {
			t.Fatalf("%s=%q set --%s to %q, the command line to %q", ef.env, value, ef.name, after, want)
		}
	})
}

// defaultArg is a valid command-line value for f: its default, or a
// placeholder for a list.
func defaultArg(f *flag.Flag) string {
	if f.DefValue == "" {
		return "given"
	}
	return f.DefValue
}

// serveFuzzEnv are the variables FuzzServeEnv sets: every `embedmock serve`
// variable but those naming files, directories, addresses or an upstream,
// which would make a fuzzed run touch the file system or the network.
var serveFuzzEnv = []string{
	"EMBEDMOCK_MAX_BODY", "EMBEDMOCK_MAX_FILE_SIZE", "EMBEDMOCK_MAX_HEADER_BYTES", "EMBEDMOCK_READ_HEADER_TIMEOUT",
	"EMBEDMOCK_READ_TIMEOUT", "EMBEDMOCK_IDLE_TIMEOUT", "EMBEDMOCK_MAX_CONNECTIONS", "EMBEDMOCK_SHUTDOWN_TIMEOUT",
	"EMBEDMOCK_REDACT_HEADERS", "EMBEDMOCK_REDACT_FIELDS", "EMBEDMOCK_VECTORS", "EMBEDMOCK_LEGACY_MODELS",
	"EMBEDMOCK_API_KEYS", "EMBEDMOCK_BATCH_DELAY", "EMBEDMOCK_BATCH_TTL", "EMBEDMOCK_MAX_FILES", "EMBEDMOCK_MAX_BATCHES",
	"EMBEDMOCK_MAX_BATCH_REQUESTS", "EMBEDMOCK_ON_MISS", "EMBEDMOCK_REPLAY_LATENCY", "EMBEDMOCK_JOURNAL_SIZE",
	"EMBEDMOCK_RPM", "EMBEDMOCK_TPM", "EMBEDMOCK_FAULT_RATE", "EMBEDMOCK_FAULT_STATUS", "EMBEDMOCK_FAULT_SEED",
	"EMBEDMOCK_FAKE_CLOCK", "EMBEDMOCK_GRADIENT_PREFIX", "EMBEDMOCK_GRADIENT_DIMENSIONS", "EMBEDMOCK_OPENAI_EMPTY_INPUT",
	"EMBEDMOCK_VECTOR_CACHE", "EMBEDMOCK_ADMIN",
}

// FuzzServeEnv runs `embedmock serve` (on a loopback port, stopped at once)
// with two fuzzed environment variables. It must never panic: a bad value
// ends with exit status 2 and a message naming it; anything else starts
// the server (exit status 0 after the stop).
func FuzzServeEnv(f *testing.F) {
	f.Add(uint8(0), "1K", uint8(10), "hash")
	f.Add(uint8(0), "0", uint8(1), "1")
	f.Add(uint8(27), "/v1", uint8(28), "-5")
	f.Add(uint8(27), "/api/", uint8(26), "yes")
	f.Add(uint8(23), "2", uint8(24), "399")
	f.Add(uint8(6), "9223372036854775807", uint8(7), "-1s")
	f.Add(uint8(12), "a,,b, ", uint8(18), "record")
	f.Add(uint8(28), "9223372036854775807", uint8(29), "true")
	f.Add(uint8(14), "-1", uint8(13), "0s")

	f.Fuzz(func(t *testing.T, sel1 uint8, value1 string, sel2 uint8, value2 string) {
		for _, kv := range [][2]string{{serveFuzzEnv[int(sel1)%len(serveFuzzEnv)], value1}, {serveFuzzEnv[int(sel2)%len(serveFuzzEnv)], value2}} {
			if strings.ContainsRune(kv[1], 0) {
				return // an environment value cannot hold NUL
			}
			t.Setenv(kv[0], kv[1])
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel() // serve starts, then stops at once
		var stdout, stderr bytes.Buffer
		done := make(chan int, 1)
		go func() {
			done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--shutdown-timeout", "1s"}, &stdout, &stderr)
		}()
		var code int
		select {
		case code = <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("serve with %s=%q %s=%q did not stop", serveFuzzEnv[int(sel1)%len(serveFuzzEnv)], value1, serveFuzzEnv[int(sel2)%len(serveFuzzEnv)], value2)
		}
		switch code {
		case 0:
			if !strings.HasPrefix(stdout.String(), "embedmock listening on http://127.0.0.1:") {
				t.Fatalf("exit 0 without the listening line: %q %q", stdout.String(), stderr.String())
			}
		case 2:
			if stderr.Len() == 0 {
				t.Fatalf("exit 2 without a message")
			}
		default:
			t.Fatalf("exit %d: %s", code, stderr.String())
		}
	})
}
