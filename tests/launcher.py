"""What the fault tests share: the lines Open MPI's mpiexec prints of its own when a rank exits
non-zero (not synobs' words), and the lines of a run's stderr that are synobs'."""

LAUNCHER = ("-----", "Primary job", "a non-zero exit code", "mpiexec detected", "the job to be terminated",
            "The first process", "Process name:", "Exit code:", "MPI_ABORT was invoked", "with errorcode",
            "NOTE: invoking MPI_ABORT", "You may or may not see", "exactly when Open MPI kills them")


def own_lines(stderr):
    """The non-empty lines of stderr that the launcher did not print. A line ends at a newline (not at
    \\r or \\x85, as str.splitlines has it): what a terminal or grep shows as one line."""
    return [l for l in stderr.split("\n") if l.strip() and not l.strip().startswith(LAUNCHER)]


def one_error_line(stderr):
    """The one `synobs: error:` line that stderr consists of, or None."""
    lines = own_lines(stderr)
    return lines[0] if len(lines) == 1 and lines[0].startswith("synobs: error:") else None
