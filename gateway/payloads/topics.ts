/** Topic templates: filled once per device (and per tag) when its encoder is built, never per message. */
export interface TopicContext {
  readonly prefix: string;
  readonly gateway: string;
  readonly device: string;
}

const PLACEHOLDER = /\{(prefix|gateway|device|tag)\}/g;

/** Fills {prefix} {gateway} {device} {tag} in a topic template. Unknown placeholders stay as they are. */
export function fillTopic(template: string, context: TopicContext, tag = ''): string {
  return template.replace(PLACEHOLDER, (_, key: string) =>
    key === 'tag' ? tag : context[key as keyof TopicContext],
  );
}
