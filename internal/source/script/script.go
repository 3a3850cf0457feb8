// Package script finds what shell code outside any image build does with
// containers: every docker/podman run or create command (as a container
// spec, through package runcmd), registry logins with a literal password,
// image builds with build arguments, and the commands themselves for the
// rules that judge downloads and checks turned off.
//
// The code comes from shell scripts (this package reads those whole) and
// from files that embed shell: Makefile recipes, CI steps (packages
// makefile and workflow cut it out, as Text that maps every byte back to
// the file, so findings point at the file's own lines and columns).
package script

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/dockguard/dockguard/internal/facts"
	"github.com/dockguard/dockguard/internal/inputs"
	"github.com/dockguard/dockguard/internal/shell"
	"github.com/dockguard/dockguard/internal/source/runcmd"
)

// Chunk is one piece of shell code parsed on its own: a whole script, one
// Makefile recipe line, one CI step.
type Chunk struct {
	Text  *Text
	Lines *Lines
	// What names the code in messages: "shell script", "recipe", "run
	// step"; errors say "cannot parse <What> as shell".
	What string
	// Dialect is the shell that runs it: sh, bash, dash, ash, zsh, ksh,
	// mksh. The parser reads bash (a superset of POSIX sh); code for zsh
	// and the Korn shells that it cannot read is noted, not an error.
	Dialect string
}

// Unit is shell code judged as one Script fact: a script file, a Makefile
// target's recipe, a CI job's steps.
type Unit struct {
	Path        string
	Subject     facts.Subject
	Chunks      []Chunk
	Env         []facts.EnvVar
	Credentials []facts.Credential
}

// Analysis is what a unit's code does.
type Analysis struct {
	Script     *facts.Script
	Containers []*runcmd.Result
	// Errors are code that does not parse and container command lines
	// Docker (or Podman) would refuse, each at its file and line.
	Errors []*inputs.Error
	Notes  []facts.Note
}

// lenient dialects are read by the bash parser only in part.
var lenient = map[string]bool{"zsh": true, "ksh": true, "mksh": true, "ksh93": true}

// Analyze parses every chunk and collects what its commands do.
func Analyze(u *Unit) *Analysis {
	a := &Analysis{Script: &facts.Script{
		Path: u.Path, Subject: u.Subject, Env: u.Env, Credentials: u.Credentials,
	}}
	for _, ch := range u.Chunks {
		if ch.Text == nil || ch.Lines == nil {
			continue
		}
		text, lines := ch.Text, ch.Lines
		locate := func(off int) facts.Location { return lines.At(text.FileOffset(off)) }
		cmds, err := shell.Parse(text.Src, locate)
		if err != nil {
			at := locate(0)
			msg := err.Error()
			if se, ok := err.(*shell.Error); ok {
				at, msg = se.At, se.Msg
			}
			if lenient[ch.Dialect] {
				a.Notes = append(a.Notes, facts.Note{At: at, Message: fmt.Sprintf("%s for %s: not read, the parser reads bash and stopped at column %d: %s", ch.What, ch.Dialect, at.Column, msg)})
			} else {
				what := ch.What + " as shell"
				if ch.What == "shell script" {
					what = ch.What
				}
				a.Errors = append(a.Errors, &inputs.Error{Path: at.Path, Line: at.Line, Message: fmt.Sprintf("cannot parse %s: column %d: %s", what, at.Column, msg)})
			}
			continue
		}
		a.add(cmds)
	}
	return a
}

// AddCommands records what commands do besides starting containers: the
// commands themselves, literal registry passwords, build arguments.
func AddCommands(s *facts.Script, cmds []*facts.Command) {
	for _, c := range cmds {
		s.Commands = append(s.Commands, c)
		s.Credentials = append(s.Credentials, loginPasswords(c)...)
		s.BuildArgs = append(s.BuildArgs, buildArgs(c)...)
	}
}

func (a *Analysis) add(cmds []*facts.Command) {
	AddCommands(a.Script, cmds)
	for _, c := range cmds {
		res, ok, err := runcmd.FromCommand(c)
		if err != nil {
			msg := err.Error()
			at := c.At
			if re, ok := err.(*runcmd.Error); ok {
				msg = re.Msg
				if re.At.Path != "" {
					at = re.At
				}
			}
			a.Errors = append(a.Errors, &inputs.Error{Path: at.Path, Line: at.Line, Message: msg})
			continue
		}
		if ok {
			a.Containers = append(a.Containers, res)
		}
	}
}

// shells are the interpreters a shebang may name for code this package
// reads.
var shells = map[string]bool{"sh": true, "bash": true, "dash": true, "ash": true, "zsh": true, "ksh": true, "mksh": true, "ksh93": true}

// Shebang returns the shell a `#!` line names (`#!/bin/sh`,
// `#!/usr/bin/env bash`, `#! /usr/bin/env -S bash -e`), or "" when the
// file does not start with one or names another interpreter.
func Shebang(head []byte) string {
	head = bytes.TrimPrefix(head, []byte("\uFEFF"))
	if !bytes.HasPrefix(head, []byte("#!")) {
		return ""
	}
	line := head[2:]
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	words := strings.Fields(string(line))
	if len(words) == 0 {
		return ""
	}
	prog := base(words[0])
	if prog == "env" {
		prog = ""
		for _, w := range words[1:] {
			if strings.HasPrefix(w, "-") || strings.Contains(w, "=") {
				continue
			}
			prog = base(w)
			break
		}
	}
	if prog == "busybox" && len(words) > 1 {
		prog = base(words[1])
	}
	if shells[prog] {
		return prog
	}
	return ""
}

func base(s string) string {
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// Load reads a whole shell script.
func Load(path string, data []byte) *Unit {
	src := string(data)
	dialect := Shebang(data)
	if dialect == "" {
		dialect = "bash"
	}
	return &Unit{
		Path:    path,
		Subject: facts.Subject{Kind: facts.SubjectScript, Name: path},
		Chunks:  []Chunk{{Text: Whole(src), Lines: NewLines(path, src), What: "shell script", Dialect: dialect}},
	}
}
