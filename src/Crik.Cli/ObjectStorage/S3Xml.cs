using System.Xml;
using System.Xml.Linq;

namespace Crik.Cli.ObjectStorage;

/// <summary>The store's XML answers, read without DTDs (a hostile endpoint cannot expand entities) and by local name.</summary>
internal static class S3Xml
{
    /// <summary>
    /// The document, or null when the text is not XML. Spaces before it are skipped: a store that keeps a slow answer's
    /// connection open with spaces (a multipart upload's completion) may send them before the XML declaration.
    /// </summary>
    public static XDocument? TryParse(string text)
    {
        text = text.TrimStart();
        if (text.Length == 0)
        {
            return null;
        }
        try
        {
            using var reader = XmlReader.Create(new StringReader(text), new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null });
            return XDocument.Load(reader);
        }
        catch (XmlException)
        {
            return null;
        }
    }

    public static IEnumerable<XElement> All(this XContainer container, string localName) =>
        container.Descendants().Where(e => e.Name.LocalName == localName);

    public static string? Child(this XElement element, string localName) =>
        element.Elements().FirstOrDefault(e => e.Name.LocalName == localName)?.Value;
}

/// <summary>S3's error documents: code and message, and what a user can do about the common ones.</summary>
internal static class S3Errors
{
    /// <summary>"Code: Message" from an S3 or STS error document, or null when the text is not one.</summary>
    public static string? Describe(string text) => Parse(text) is ({ } code, var message) ? $"{code}: {message}" : null;

    public static (string? Code, string Message) Parse(string text)
    {
        XElement? error = S3Xml.TryParse(text)?.All("Error").FirstOrDefault();
        return error is null ? (null, "") : (error.Child("Code"), error.Child("Message") ?? "");
    }

    public static string Hint(string? code, int status) => code switch
    {
        "NoSuchBucket" => "create the bucket, or fix the bucket in imageDir",
        "AccessDenied" or "AllAccessDisabled" => "give the credentials' user or role s3:GetObject, s3:PutObject, s3:DeleteObject, s3:ListBucket and s3:AbortMultipartUpload on the bucket and prefix",
        "InvalidAccessKeyId" or "SignatureDoesNotMatch" => "check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
        "AuthorizationHeaderMalformed" or "PermanentRedirect" or "IllegalLocationConstraintException" => "set AWS_REGION to the bucket's region",
        "ExpiredToken" or "InvalidToken" => "the session token has expired; renew AWS_SESSION_TOKEN or use a web identity",
        _ when status == 0 => "check AWS_ENDPOINT_URL_S3 (or AWS_ENDPOINT_URL) and that the store is reachable from the node",
        S3RetryPolicy.ConditionalConflict => "another write to the same object was under way each time crik tried; two pods may share this imageDir",
        _ when status >= 500 => "the store kept failing; crik retried and gave up",
        _ => "see the store's message",
    };
}
