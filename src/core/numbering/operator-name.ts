const LEGAL_FORMS = /^(?:ПАО|ОАО|ЗАО|АО|ООО|НАО|ФГУП|ГУП|МУП|ИП|PJSC|OJSC|CJSC|JSC|LLC)\s+/u;

/**
 * Normalises an operator name for pattern matching: upper case, ё → е, quotes of every kind
 * removed, a leading legal form dropped, spaces collapsed. `ПАО "МегаФон"` → `МЕГАФОН`,
 * `ООО «Т2 Мобайл»` → `Т2 МОБАЙЛ`.
 */
export function normaliseOperatorName(name: string): string {
  let s = name.toUpperCase().replace(/Ё/g, 'Е');
  s = s.replace(/["'«»„“”‘’`]/g, ' ').replace(/\s+/g, ' ').trim();
  for (let i = 0; i < 2; i++) s = s.replace(LEGAL_FORMS, '');
  return s.trim();
}
