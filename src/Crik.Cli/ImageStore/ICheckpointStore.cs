namespace Crik.Cli.ImageStore;

/// <summary>
/// Where generations live and what becomes of them (<see cref="GenerationStore"/>, over a volume or
/// object storage): a generation exists only once its manifest is written last; it is restored as
/// often as pods need it until a newer one is committed or its app ends on its own; what cannot be
/// restored, or keeps dying once restored, is set aside with its reason, never deleted. Each part
/// takes the role it uses; this whole is for what puts them together (a restore, a checkpoint).
/// </summary>
internal interface ICheckpointStore : IImageDirLock, ICheckpointWriter, IRestoreLedger, ICheckpointReader, IDisposable;
