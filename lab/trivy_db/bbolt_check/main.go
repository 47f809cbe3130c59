// Copyright (c) 2026 Bulwark maintainers
// SPDX-License-Identifier: Apache-2.0

// bbolt_check opens a bbolt file read-only with go.etcd.io/bbolt, runs Tx.Check() and dumps
// every bucket and key/value, hex-encoded, one per line:
//
//	B <path>            a bucket (path: hex keys joined by '/')
//	K <path> <key> <value>
//
// It exits 1 naming the first error Check reports (or the open error). Built offline from
// Debian's golang-github-coreos-bbolt-dev: GO111MODULE=off GOPATH=/usr/share/gocode go build.
package main

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"os"
	"strings"

	bolt "go.etcd.io/bbolt"
)

func walk(out *bufio.Writer, path []string, b *bolt.Bucket) error {
	return b.ForEach(func(k, v []byte) error {
		here := append(append([]string{}, path...), hex.EncodeToString(k))
		if v == nil {
			fmt.Fprintf(out, "B %s\n", strings.Join(here, "/"))
			return walk(out, here, b.Bucket(k))
		}
		fmt.Fprintf(out, "K %s %s %s\n", strings.Join(path, "/"), hex.EncodeToString(k), hex.EncodeToString(v))
		return nil
	})
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: bbolt_check FILE")
		os.Exit(2)
	}
	db, err := bolt.Open(os.Args[1], 0o444, &bolt.Options{ReadOnly: true})
	if err != nil {
		fmt.Fprintf(os.Stderr, "open: %v\n", err)
		os.Exit(1)
	}
	defer db.Close()
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	err = db.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			return fmt.Errorf("check: %w", err)
		}
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			here := []string{hex.EncodeToString(name)}
			fmt.Fprintf(out, "B %s\n", here[0])
			return walk(out, here, b)
		})
	})
	if err != nil {
		out.Flush()
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
