#!/usr/bin/env python3
# Test launcher: blocks the signals numbered in argv[1] (comma-separated), then execs argv[2:], which
# inherits that signal mask, as a program does from a parent that blocked signals and never unblocked them.
import os, signal, sys

signal.pthread_sigmask(signal.SIG_BLOCK, [int(number) for number in sys.argv[1].split(",")])
os.execvp(sys.argv[2], sys.argv[2:])
