package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// envFlag ties a flag to the environment variable that sets it when the
// flag is not given on the command line.
type envFlag struct {
	name string // flag name
	env  string // environment variable
	list bool   // the variable holds a comma-separated list (repeatable flag)
}

// applyEnv sets every flag of fs that was not given on the command line
// from its environment variable, if that is set.
func applyEnv(fs *flag.FlagSet, flags []envFlag, lookup func(string) (string, bool)) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	for _, ef := range flags {
		value, ok := lookup(ef.env)
		if !ok || given[ef.name] {
			continue
		}
		values := []string{value}
		if ef.list {
			values = strings.Split(value, ",")
		}
		for _, v := range values {
			if ef.list && strings.TrimSpace(v) == "" {
				continue
			}
			if err := fs.Set(ef.name, strings.TrimSpace(v)); err != nil {
				return fmt.Errorf("%s=%q: %w", ef.env, value, err)
			}
		}
	}
	return nil
}

func lookupEnv(name string) (string, bool) { return os.LookupEnv(name) }

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error {
	*l = append(*l, v)
	return nil
}

// byteSize is a size flag: a number of bytes with an optional K, M or G
// suffix (powers of 1024; a trailing B or iB is allowed: 20M, 20MB, 20MiB).
type byteSize int64

func (b *byteSize) String() string { return strconv.FormatInt(int64(*b), 10) }

func (b *byteSize) Set(v string) error {
	s := strings.TrimSpace(v)
	s = strings.TrimSuffix(strings.TrimSuffix(s, "B"), "i")
	mult := int64(1)
	if s != "" {
		switch s[len(s)-1] {
		case 'K', 'k':
			mult = 1 << 10
		case 'M', 'm':
			mult = 1 << 20
		case 'G', 'g':
			mult = 1 << 30
		}
		if mult > 1 {
			s = s[:len(s)-1]
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/mult {
		return fmt.Errorf("invalid size %q (want a number of bytes, optionally with K, M or G)", v)
	}
	*b = byteSize(n * mult)
	return nil
}
