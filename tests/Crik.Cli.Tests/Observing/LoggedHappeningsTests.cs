using Xunit;
using Crik.Cli.Observing;

namespace Crik.Cli.Tests.Observing;

public sealed class LoggedHappeningsTests
{
    [Fact]
    public void OneCallWritesTheLineThenPublishesTheSameMoment()
    {
        LogLines lines = new();
        Recorder seen = new(lines);
        Happenings.Listen(seen);
        try
        {
            lines.Logger.Error(new Happening.CheckpointSkipped("sigterm", "test-only reason 4711"),
                "Checkpoint skipped: {Why}", "test-only reason 4711");
            lines.Logger.Warning(new Happening.CheckpointNotNeeded("test-only 4712"), "Not needed: {Why}", "test-only 4712");
        }
        finally
        {
            Happenings.StopListening(seen);
        }

        Assert.Equal(["Error: Checkpoint skipped: \"test-only reason 4711\"", "Warning: Not needed: \"test-only 4712\""], lines.Lines);
        // Other tests may publish at the same time; only this test's moments are looked at.
        List<(Happening Moment, int LinesBefore)> mine = seen.Moments.Where(m => m.Moment switch
        {
            Happening.CheckpointSkipped s => s.Why == "test-only reason 4711",
            Happening.CheckpointNotNeeded n => n.Why == "test-only 4712",
            _ => false,
        }).ToList();
        Assert.Equal(2, mine.Count);
        Assert.Equal(1, mine[0].LinesBefore);
        Assert.Equal(2, mine[1].LinesBefore);
    }

    private sealed class Recorder(LogLines lines) : IHappeningListener
    {
        public List<(Happening Moment, int LinesBefore)> Moments { get; } = [];

        public void On(Happening happening)
        {
            lock (Moments)
            {
                Moments.Add((happening, lines.Lines.Count));
            }
        }
    }
}
