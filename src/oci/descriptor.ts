/** An OCI content descriptor: what a manifest says about a blob or a child manifest. */
export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
  'os.version'?: string;
  'os.features'?: string[];
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  platform?: Platform;
}

/** The annotation an OCI layout's index.json uses to name an image. */
export const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name';
