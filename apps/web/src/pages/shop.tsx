import type { Me } from "../app.tsx";
import { Section } from "../forms.tsx";

export function Shop(_: { me: Me }) {
  return <Section title="Shop">{null}</Section>;
}
