using Crik.Cli.Configuration;
using Xunit;

namespace Crik.Cli.Tests.ObjectStorage;

public class S3AddressTests
{
    [Theory]
    [InlineData("s3://my-bucket", "my-bucket", "")]
    [InlineData("s3://my-bucket/", "my-bucket", "")]
    [InlineData("s3://my-bucket/crik/app", "my-bucket", "crik/app/")]
    [InlineData("s3://my.bucket-1/crik/app/", "my.bucket-1", "crik/app/")]
    public void AnAddressIsABucketAndAPrefixEndingInOneSlash(string url, string bucket, string prefix) =>
        Assert.Equal(new S3Address(bucket, prefix), S3Address.Parse(url));

    [Theory]
    [InlineData("s3://My_Bucket/x", "is not a bucket name")]
    [InlineData("s3://ab", "is not a bucket name")]
    [InlineData("s3://bucket/a//b", "has an empty, \".\" or \"..\" part")]
    [InlineData("s3://bucket/a/../b", "has an empty, \".\" or \"..\" part")]
    public void ABadAddressSaysWhatIsWrong(string url, string problem) =>
        Assert.Contains(problem, Assert.Throws<FormatException>(() => S3Address.Parse(url)).Message, StringComparison.Ordinal);
}
