package main

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/embedmock/embedmock/mockserver/recording"
)

// cassetteCommand runs `embedmock cassette check PATH...`: it fails when a
// cassette holds something that looks like a credential.
func cassetteCommand(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "check" {
		fmt.Fprintln(stderr, "Usage: embedmock cassette check PATH...   (files or directories of *.yaml)")
		return 2
	}
	paths := args[1:]
	if len(paths) == 0 {
		fmt.Fprintln(stderr, "embedmock cassette check: give at least one cassette file or directory")
		return 2
	}
	var files []string
	for _, p := range paths {
		err := filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && (path == p || strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")) {
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			fmt.Fprintf(stderr, "embedmock cassette check: %v\n", err)
			return 2
		}
	}
	found := 0
	for _, path := range files {
		f, err := os.Open(path)
		if err != nil {
			fmt.Fprintf(stderr, "embedmock cassette check: %v\n", err)
			return 2
		}
		findings, err := recording.CheckCredentials(f)
		f.Close()
		if err != nil {
			fmt.Fprintf(stderr, "embedmock cassette check: %s: %v\n", path, err)
			return 2
		}
		for _, fd := range findings {
			fmt.Fprintf(stdout, "%s:%d: looks like %s (%s)\n", path, fd.Line, fd.Kind, fd.Hint)
		}
		found += len(findings)
	}
	if found > 0 {
		fmt.Fprintf(stderr, "embedmock cassette check: %d possible credential(s) in %d file(s) checked\n", found, len(files))
		return 1
	}
	fmt.Fprintf(stdout, "embedmock cassette check: %d file(s) clean\n", len(files))
	return 0
}
