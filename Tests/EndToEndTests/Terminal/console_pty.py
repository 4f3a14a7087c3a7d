"""Runs `nimbus console SERVER` in a pseudo-terminal as a person would:
waits for it to attach, sees the installer's question already asked,
types an answer to the installer, reads the
installer's reply, detaches with Ctrl-] and checks that the terminal is
as it was before.

    console_pty.py NIMBUS_BINARY SERVER

Prints what it checked; exits non-zero on the first failure.
"""
import os
import pty
import select
import subprocess
import sys
import termios
import time


def main():
    binary, server = sys.argv[1:3]
    master, slave = pty.openpty()
    before = termios.tcgetattr(slave)
    child = subprocess.Popen([binary, "console", server], stdin=slave, stdout=slave, stderr=slave, start_new_session=True)
    output = bytearray()

    def read_until(needle, seconds):
        deadline = time.time() + seconds
        while needle not in output and time.time() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    output.extend(os.read(master, 4096))
                except OSError:
                    break
        if needle not in output:
            fail(f"never saw {needle!r}")

    def fail(reason):
        child.kill()
        print(f"FAILED: {reason}\n--- terminal ---\n{output.decode(errors='replace')[-2000:]}")
        sys.exit(1)

    read_until(b"Ctrl-] detaches", 30)
    # The installer asked before we attached: its question is on the screen at once.
    read_until(b"Install to /dev/vda? [yes/no]", 1)
    print("the installer's question was on the screen at once")
    attributes = termios.tcgetattr(slave)
    if attributes[3] & (termios.ECHO | termios.ICANON):
        fail("the terminal is not in raw mode while attached")
    print("raw mode while attached")
    os.write(master, b"maybe\r")
    read_until(b"Please answer yes or no.", 60)
    print("the installer answered through the terminal")
    os.write(master, b"\x1d")
    try:
        status = child.wait(timeout=15)
    except subprocess.TimeoutExpired:
        fail("Ctrl-] did not detach")
    read_until(b"Detached from", 5)
    if status != 0:
        fail(f"exit status {status}")
    if termios.tcgetattr(slave) != before:
        fail("the terminal was not restored")
    print("detached with Ctrl-], status 0, terminal restored")


if __name__ == "__main__":
    main()
