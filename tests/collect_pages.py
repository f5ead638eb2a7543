"""Source posts served by collect tests on 127.0.0.x, and the LCTT file each must become.

The content is invented. ``STRACE_POST`` exercises what a collector cares about: metadata
(title, author and author page, date), headings, a relative and an absolute link, an
image, inline code, and code blocks whose language must survive (bash, python).
"""

from __future__ import annotations

STRACE_POST = """\
<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Tracing system calls with strace | Example Ops Blog</title>
  <meta property="og:title" content="Tracing system calls with strace">
  <meta name="author" content="Ada Fernsby">
  <meta property="article:published_time" content="2025-03-04T08:00:00+00:00">
  <link rel="author" href="/authors/ada-fernsby/">
</head>
<body>
  <nav><a href="/">Home</a> <a href="/archive/">Archive</a> <a href="/about/">About</a></nav>
  <main>
    <article>
      <h1>Tracing system calls with strace</h1>
      <p class="byline">By <a href="/authors/ada-fernsby/">Ada Fernsby</a>, March 4, 2025</p>
      <p>Every program on Linux talks to the kernel through system calls. When a program
      hangs or fails without a useful message, watching those calls often shows the cause
      within seconds. The <code>strace</code> tool does exactly that, and it is installed on
      most distributions already.</p>
      <h2>Installing strace</h2>
      <p>If your system does not have it yet, install it from the package manager. The
      <a href="https://man7.org/linux/man-pages/man1/strace.1.html">strace manual page</a>
      lists every option; the commands below are the ones you need first.</p>
      <pre><code class="language-bash">sudo dnf install strace
strace -f -e trace=openat ls /tmp
</code></pre>
      <p>The second command follows child processes and prints only the files that
      <code>ls</code> opens. Read our <a href="../filtering-output/">guide to filtering the
      output</a> when the list grows long.</p>
      <h2>Scripting it from Python</h2>
      <p>For repeated runs, a short Python script collects the calls of a command and counts
      them per name:</p>
      <pre><code class="language-python">import collections
import subprocess

result = subprocess.run(["strace", "-c", "ls"], capture_output=True, text=True)
print(result.stderr)
</code></pre>
      <p><img src="/images/strace-summary.png" alt="Summary table printed by strace -c"></p>
      <h2>Where to go next</h2>
      <ul>
        <li>Trace a running process with <code>strace -p PID</code>.</li>
        <li>Time each call with <code>strace -T</code>.</li>
      </ul>
      <p>With these few options you can answer most questions about what a program is
      doing, without reading its source code or attaching a debugger.</p>
    </article>
  </main>
  <footer><p>Copyright Example Ops Blog. All rights reserved.</p></footer>
</body>
</html>
"""

STRACE_PATH = "/2025/03/strace-basics/"


def expected_strace_file(*, base: str, collector: str) -> str:
    """The complete LCTT source file (current template) for STRACE_POST served at ``base``."""
    via = f"{base}{STRACE_PATH}"
    return f"""\
[#]: subject: "Tracing system calls with strace"
[#]: via: "{via}"
[#]: author: "Ada Fernsby {base}/authors/ada-fernsby/"
[#]: collector: "{collector}"
[#]: translator: " "
[#]: reviewer: " "
[#]: publisher: " "
[#]: url: " "

Tracing system calls with strace
======

Every program on Linux talks to the kernel through system calls. When a program hangs or fails without a useful message, watching those calls often shows the cause within seconds. The `strace` tool does exactly that, and it is installed on most distributions already.

### Installing strace

If your system does not have it yet, install it from the package manager. The [strace manual page][1] lists every option; the commands below are the ones you need first.

```bash
sudo dnf install strace
strace -f -e trace=openat ls /tmp
```

The second command follows child processes and prints only the files that `ls` opens. Read our [guide to filtering the output][2] when the list grows long.

### Scripting it from Python

For repeated runs, a short Python script collects the calls of a command and counts them per name:

```python
import collections
import subprocess

result = subprocess.run(["strace", "-c", "ls"], capture_output=True, text=True)
print(result.stderr)
```

![Summary table printed by strace -c][3]

### Where to go next

- Trace a running process with `strace -p PID`.
- Time each call with `strace -T`.

With these few options you can answer most questions about what a program is doing, without reading its source code or attaching a debugger.

--------------------------------------------------------------------------------

via: {via}

作者：[Ada Fernsby][a]
选题：[{collector}][b]
译者：[译者ID](https://github.com/译者ID)
校对：[校对者ID](https://github.com/校对者ID)

本文由 [LCTT](https://github.com/LCTT/TranslateProject) 原创编译，[Linux中国](https://linux.cn/) 荣誉推出

[a]: {base}/authors/ada-fernsby/
[b]: https://github.com/{collector}
[1]: https://man7.org/linux/man-pages/man1/strace.1.html
[2]: {base}/2025/03/filtering-output/
[3]: {base}/images/strace-summary.png
"""


NOT_AN_ARTICLE = "<!DOCTYPE html><html><head><title>x</title></head><body><nav><a href='/'>Home</a></nav></body></html>"
