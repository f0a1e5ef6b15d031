"""Runs a command on a pseudo-terminal (120x40) and copies everything it wrote there to stdout.

Usage: run_in_pty.py COMMAND [ARGS...]; exits with the command's exit status.
With PTY_ANSWER_AFTER and PTY_ANSWER set, types PTY_ANSWER (and Enter) once the output shows
PTY_ANSWER_AFTER, as a person answering a prompt would.
"""
import fcntl
import os
import pty
import struct
import sys
import termios

answer_after = os.environ.pop("PTY_ANSWER_AFTER", "").encode()
answer = os.environ.pop("PTY_ANSWER", "").encode()

pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
seen = b""
answered = not answer_after
while True:
    try:
        data = os.read(fd, 65536)
    except OSError:
        break
    if not data:
        break
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()
    if not answered:
        seen += data
        if answer_after in seen:
            os.write(fd, answer + b"\r")
            answered = True
_, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status))
