import type { FileIO } from '../io/file-io.js'
import { readManifest } from '../spec/manifest.js'
import { readManifestList } from '../spec/manifest-list.js'
import type { TableMetadata } from '../spec/table-metadata.js'

/**
 * Every file a table's metadata references, for a purge: the current and previous metadata
 * files, each snapshot's manifest list, every manifest and every data and delete file.
 */
export async function referencedFiles(
  io: FileIO,
  metadata: TableMetadata,
  metadataLocation: string,
): Promise<string[]> {
  const files = new Set<string>([
    metadataLocation,
    ...metadata.metadataLog.map((entry) => entry.metadataFile),
  ])
  const manifests = new Map<string, bigint>()
  for (const snapshot of metadata.snapshots) {
    files.add(snapshot.manifestList)
    const list = readManifestList(await io.read(snapshot.manifestList), { file: snapshot.manifestList })
    for (const manifest of list.manifests) manifests.set(manifest.manifestPath, manifest.manifestLength)
  }
  for (const [path, manifestLength] of manifests) {
    files.add(path)
    for (const entry of readManifest(await io.read(path), { file: path, manifestLength }).entries)
      files.add(entry.dataFile.filePath)
  }
  return [...files]
}
