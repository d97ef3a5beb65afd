// For `pnpm bench hdfs`: `HdfsShellTimer <times> <hdfs dfs arguments>` runs one `hdfs dfs`
// command (Hadoop's FsShell, the very code behind `hdfs dfs -put` and `hdfs dfs -cat`) `times`
// times in one JVM and times each run inside it, so the benchmark can report Hadoop's Java
// client with and without the JVM's start, and with a JIT-warm JVM as a long-running Java
// process has. A warm-up command first loads the classes and opens the FileSystem. Whatever
// `-cat` prints is counted and dropped. Prints one JSON line on stderr, with the wall time and the
// JVM's CPU time (all its threads: JIT and GC included, as Lake's process CPU is) of each run.
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.Locale;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FsShell;
import org.apache.hadoop.util.ToolRunner;

public final class HdfsShellTimer {
  private static final class Counter extends OutputStream {
    long bytes;

    @Override
    public void write(int b) {
      bytes += 1;
    }

    @Override
    public void write(byte[] b, int off, int len) {
      bytes += len;
    }
  }

  public static void main(String[] args) throws Exception {
    long enteredMs = System.currentTimeMillis();
    FsShell shell = new FsShell(new Configuration());
    long t0 = System.nanoTime();
    int rc = ToolRunner.run(shell, new String[] {"-test", "-e", "/"});
    double warmupMs = (System.nanoTime() - t0) / 1e6;
    int times = Integer.parseInt(args[0]);
    String[] command = Arrays.copyOfRange(args, 1, args.length);
    PrintStream stdout = System.out;
    Counter counter = new Counter();
    System.setOut(new PrintStream(counter, false));
    com.sun.management.OperatingSystemMXBean os =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    StringBuilder commandMs = new StringBuilder();
    StringBuilder commandCpuMs = new StringBuilder();
    for (int i = 0; i < times && rc == 0; i++) {
      long cpu = os.getProcessCpuTime();
      long t = System.nanoTime();
      rc = ToolRunner.run(shell, command);
      commandMs.append(i == 0 ? "" : ",").append(String.format(Locale.ROOT, "%.3f", (System.nanoTime() - t) / 1e6));
      commandCpuMs.append(i == 0 ? "" : ",").append(String.format(Locale.ROOT, "%.3f", (os.getProcessCpuTime() - cpu) / 1e6));
    }
    System.setOut(stdout);
    System.err.printf(
        Locale.ROOT,
        "{\"enteredMs\":%d,\"warmupMs\":%.3f,\"commandMs\":[%s],\"commandCpuMs\":[%s],\"stdoutBytes\":%d,\"exit\":%d}%n",
        enteredMs, warmupMs, commandMs, commandCpuMs, counter.bytes, rc);
    System.exit(rc);
  }
}
