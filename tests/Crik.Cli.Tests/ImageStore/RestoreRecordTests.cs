using Crik.Cli.Records;
using Xunit;

namespace Crik.Cli.Tests.ImageStore;

[Trait("Category", "Unit")]
public class RestoreRecordTests
{
    /// <summary>
    /// A generation restored a thousand times (no periodic checkpoint, an app killed after its probation each time) has marks
    /// of four digits: they count, so the guard against a crash loop still sees the restores that died. Before, only three
    /// digits were marks, and restore 1000 and after were invisible and deleted at the next commit.
    /// </summary>
    [Fact]
    public void MarksPastNineHundredNinetyNineCount()
    {
        Assert.Equal("000007-1000", RestoreRecord.MarkName(7, 1000));
        Assert.Equal((7L, 1000), RestoreRecord.Parse("000007-1000"));
        Assert.Equal((7L, 1000), RestoreRecord.Parse(RestoreRecord.SurvivedName(7, 1000)));
        string[] marks = ["000007-999", "000007-1000", "000007-0999", "000007-01000"];
        List<RestoreRecord> found = RestoreRecord.Of(7, marks, _ => "2026-12-06T00:00:00Z started");
        Assert.Equal([999, 1000], found.Select(r => r.Number));
    }
}
