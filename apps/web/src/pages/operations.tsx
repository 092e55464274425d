import { Section } from "../forms.tsx";

export function Operations() {
  return <Section title="Operations">{null}</Section>;
}
