using Crik.Containers.Tests.Support;
using Xunit;

namespace Crik.Containers.Tests.Runtimes;

public class PostgresTests
{
    private const string DataDir = "/var/lib/postgresql/data";
    private const string Bin = "/usr/lib/postgresql/15/bin";

    /// <summary>
    /// PostgreSQL 15 with its defaults (dynamic shared memory in /dev/shm/PostgreSQL.*), its data on a
    /// volume of its own, run as the postgres user the usual way. A committed and an unlogged table,
    /// written over the unix socket and read over TCP; the postmaster must be the same one throughout.
    /// </summary>
    [ContainerFact(NeedsSysResource = true)]
    public async Task PostgresKeepsCommittedAndUnloggedRowsAndItsPostmasterAcrossNewContainers()
    {
        using var set = new StatefulSet(DataDir) { LazyRestore = true };
        set.Prepare("sh", "-c", $"chown postgres:postgres {DataDir} && runuser -u postgres -- {Bin}/initdb -A trust -D {DataDir} >/dev/null");
        string startedAt = "";
        string[] postgres = ["runuser", "-u", "postgres", "--", $"{Bin}/postgres", "-D", DataDir, "-c", "listen_addresses=*"];
        await set.ThreePodsAsync(postgres, (pod, number) =>
        {
            pod.WaitForPort(5432);
            if (number == 1)
            {
                Sql(pod, "/run/postgresql", "create table kept(pod int); create unlogged table fast(pod int)");
                startedAt = Sql(pod, "/run/postgresql", "select pg_postmaster_start_time()");
            }
            Sql(pod, "/run/postgresql", $"insert into kept values ({number}); insert into fast values ({number})");
            string expected = string.Join(',', Enumerable.Range(1, number));
            Assert.Equal(expected, Sql(pod, "127.0.0.1", "select string_agg(pod::text, ',' order by pod) from kept"));
            Assert.Equal(expected, Sql(pod, "127.0.0.1", "select string_agg(pod::text, ',' order by pod) from fast"));
            Assert.Equal(startedAt, Sql(pod, "127.0.0.1", "select pg_postmaster_start_time()"));
            return Task.CompletedTask;
        });
    }

    /// <summary>Runs SQL with psql in the pod, over the unix socket directory or TCP host given.</summary>
    private static string Sql(Pod pod, string host, string sql) =>
        pod.Exec("psql", "-X", "-At", "-v", "ON_ERROR_STOP=1", "-h", host, "-U", "postgres", "-c", sql);
}
