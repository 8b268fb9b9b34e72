using Crik.Cli.ObjectStorage;
using Xunit;

namespace Crik.Cli.Tests.ObjectStorage;

/// <summary>Signing checked against the example in AWS's S3 SigV4 documentation (s3rver does not check signatures).</summary>
public class SigV4Tests
{
    [Fact]
    public void TheDocumentedGetObjectExampleGetsTheDocumentedSignature()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "https://examplebucket.s3.amazonaws.com/test.txt");
        request.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(0, 9);
        var credentials = new AwsCredentials("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
        SigV4.Sign(request, "/test.txt", [], SigV4.EmptyPayloadHash, credentials, "us-east-1", new DateTimeOffset(2013, 5, 24, 0, 0, 0, TimeSpan.Zero));

        Assert.Equal("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
            + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
            string.Join("", request.Headers.GetValues("Authorization")));
    }

    [Fact]
    public void QueryParametersAreSortedAndEncodedAsSigV4Wants()
    {
        Assert.Equal("list-type=2&prefix=crik%2Fapp%20one%2F", SigV4.CanonicalQuery([new("prefix", "crik/app one/"), new("list-type", "2")]));
        Assert.Equal("uploads=", SigV4.CanonicalQuery([new("uploads", "")]));
        Assert.Equal("a/b%2Bc~", SigV4.Encode("a/b+c~", keepSlashes: true));
    }

    [Fact]
    public void APathStyleEndpointAndAwsAreAddressedAsEachExpects()
    {
        var custom = new S3Settings(new Uri("http://minio.storage:9000"), "eu-west-1");
        Assert.Equal("http://minio.storage:9000/bucket/p/packs/000001.pack?partNumber=2&uploadId=x%2By",
            custom.Locate("bucket", "p/packs/000001.pack", [new("partNumber", "2"), new("uploadId", "x+y")]).Uri.AbsoluteUri);
        var aws = new S3Settings(null, "eu-west-1");
        (Uri uri, string path) = aws.Locate("bucket", "p/checkpoint-000001/manifest.json", [new("uploads", "")]);
        Assert.Equal("https://bucket.s3.eu-west-1.amazonaws.com/p/checkpoint-000001/manifest.json?uploads", uri.AbsoluteUri);
        Assert.Equal("/p/checkpoint-000001/manifest.json", path);
    }

    [Fact]
    public void ABucketWithDotsInItsNameIsAddressedPathStyleOnAwsToo()
    {
        (Uri uri, string path) = new S3Settings(null, "eu-west-1").Locate("my.bucket", "p/packs/000001.pack", []);
        Assert.Equal("https://s3.eu-west-1.amazonaws.com/my.bucket/p/packs/000001.pack", uri.AbsoluteUri);
        Assert.Equal("/my.bucket/p/packs/000001.pack", path);
    }
}
