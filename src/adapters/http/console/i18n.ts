export type Lang = 'ru' | 'en';
export const LANGS: readonly Lang[] = ['ru', 'en'];

const en = {
  title: 'Connector console',
  signIn: 'Sign in', signOut: 'Sign out', userName: 'User name', password: 'Password',
  badCredentials: 'Wrong user name or password.',
  throttledAccount: 'Too many failed sign-ins for this account: sign-in is refused for now. Try again in', throttledIp: 'Too many failed sign-ins from your address: sign-in is refused for now. Try again in', minutesShort: 'min.', sessionExpired: 'Sign in again: the form was out of date.',
  dashboard: 'Dashboard', calls: 'Call log', simulator: 'Route simulator', numbering: 'Numbering plan', rules: 'Rules',
  outbox: 'CRM outbox', savings: 'Savings', audit: 'Audit log',
  role_admin: 'administrator', role_viewer: 'viewer',
  callsToday: 'Calls today', since: 'since', total: 'total', byOutcome: 'By outcome', byTrunk: 'By trunk', byDepartment: 'By department',
  trunks: 'Trunks and SIMs', health: 'Health', outboxDepth: 'Outbox', rulesInUse: 'Rules version in use',
  ok: 'OK', down: 'DOWN', state: 'State', kind: 'Kind', carrier: 'Carrier', trunk: 'Trunk', count: 'Calls', name: 'Name', detail: 'Detail',
  check_database: 'Database', check_ami: 'AMI (Asterisk)', check_crm: 'CRM (Bitrix24)',
  number: 'Number', user: 'User or extension', from: 'From', to: 'To', outcome: 'Outcome', any: 'any', search: 'Search',
  started: 'Started', duration: 'Duration', status: 'Status', origin: 'Origin', noCalls: 'No calls match.',
  callNotFound: 'No such call.', attempts: 'Attempts', plan: 'Plan (computed once when the call started)', cause: 'Cause',
  decision: 'Decision', source: 'Source', crmWrites: 'Written to the CRM', method: 'Method', tries: 'Tries', lastError: 'Last error',
  updated: 'Updated', noCrmWrites: 'Nothing was queued for the CRM for this call.', refused: 'Refused', stopReason: 'Route stopped',
  dialStatus: 'DIALSTATUS', callerId: 'Caller ID', tier: 'Tier', perMinute: 'Per minute', dial: 'Dial', why: 'Why',
  rotate: 'rotated to the next trunk', stop: 'stopped the route',
  extension: 'Extension', userId: 'Bitrix24 user id', line: 'Line (manual choice)', explain: 'Explain',
  giveUserOrExt: 'Give a user id or an extension.', giveNumber: 'Give a number.', trace: 'How the decision was made',
  lookup: 'Look up', history: 'Import history', rollback: 'Roll back', rollbackPlanHint: 'Activates the version imported before the active one.',
  imported: 'Imported',
  importPlan: 'Import a new plan version', importFiles: 'Files (DEF and ABC together: a version replaces the whole plan)',
  importForce: 'Import even if it removes a kind of numbers or shrinks the plan', importStart: 'Upload and import',
  uploading: 'Uploading', importing: 'Importing', importFailed: 'Import refused, the active plan is unchanged:', importDone: 'Imported and in use: version', files: 'Files', rows: 'Rows', numbers: 'Numbers', active: 'active', region: 'Region',
  confirm: 'Are you sure?', version: 'Version', created: 'Created', inUse: 'in use', edit: 'Edit', view: 'View',
  checkAndDiff: 'Check and show the diff', save: 'Store as the newest version', rulesOk: 'The rules pass every check.',
  rulesErrors: 'The rules do not pass the checks; nothing was stored:', warnings: 'Warnings', diff: 'Diff against the version in use',
  noChanges: 'No changes.', stored: 'Stored as version', unchanged: 'Unchanged: the files equal version',
  parked: 'Parked entries', retry: 'Retry', noParked: 'Nothing is parked.', retried: 'Queued again:', notParked: 'That entry is not parked.',
  savingsAbsent: 'The savings report is not available in this build.', minutes: 'Minutes', actualCost: 'Actual cost',
  baselineCost: 'Through the default trunks only', saving: 'Saving', advice: 'Advice', group: 'Group',
  cheapestCost: 'Cheapest possible', withoutBaseline: 'Calls without a default trunk to compare with (their baseline is their actual cost)',
  noAdvice: 'Nothing: every destination went through its cheapest trunk.', export: 'Export',
  costPerDay: 'Cost per day (bars: actual; dashes: through the default trunks)', shareByCarrier: 'Share of cost by carrier',
  savingByDepartment: 'Saving by department',
  when: 'When', who: 'Who', action: 'Action', target: 'Target',
  forbidden: 'Your role may not change anything.', csrf: 'The form was out of date or not from this console: nothing was changed. Reload the page and try again.',
  notFound: 'Not found.', language: 'Language', done: 'Done.',
} as const;

export type MessageKey = keyof typeof en;

const ru: Record<MessageKey, string> = {
  title: 'Консоль коннектора',
  signIn: 'Войти', signOut: 'Выйти', userName: 'Имя пользователя', password: 'Пароль',
  badCredentials: 'Неверное имя пользователя или пароль.',
  throttledAccount: 'Слишком много неудачных попыток входа в эту учётную запись: вход временно закрыт. Повторите через', throttledIp: 'Слишком много неудачных попыток входа с вашего адреса: вход временно закрыт. Повторите через', minutesShort: 'мин.', sessionExpired: 'Войдите ещё раз: форма устарела.',
  dashboard: 'Сводка', calls: 'Журнал звонков', simulator: 'Симулятор маршрута', numbering: 'План нумерации', rules: 'Правила',
  outbox: 'Очередь CRM', savings: 'Экономия', audit: 'Журнал действий',
  role_admin: 'администратор', role_viewer: 'наблюдатель',
  callsToday: 'Звонки за сегодня', since: 'с', total: 'всего', byOutcome: 'По исходу', byTrunk: 'По транкам', byDepartment: 'По отделам',
  trunks: 'Транки и SIM', health: 'Состояние', outboxDepth: 'Очередь', rulesInUse: 'Версия правил в работе',
  ok: 'OK', down: 'НЕДОСТУПНО', state: 'Состояние', kind: 'Тип', carrier: 'Оператор', trunk: 'Транк', count: 'Звонков', name: 'Название', detail: 'Подробности',
  check_database: 'База данных', check_ami: 'AMI (Asterisk)', check_crm: 'CRM (Битрикс24)',
  number: 'Номер', user: 'Пользователь или внутренний', from: 'С', to: 'По', outcome: 'Исход', any: 'любой', search: 'Найти',
  started: 'Начало', duration: 'Длительность', status: 'Статус', origin: 'Источник', noCalls: 'Звонков не найдено.',
  callNotFound: 'Такого звонка нет.', attempts: 'Попытки', plan: 'План (рассчитан один раз в начале звонка)', cause: 'Причина',
  decision: 'Решение', source: 'Откуда', crmWrites: 'Записано в CRM', method: 'Метод', tries: 'Попыток', lastError: 'Последняя ошибка',
  updated: 'Обновлено', noCrmWrites: 'Для этого звонка в CRM ничего не ставилось.', refused: 'Отказ', stopReason: 'Маршрут остановлен',
  dialStatus: 'DIALSTATUS', callerId: 'Номер А', tier: 'Уровень', perMinute: 'За минуту', dial: 'Набор', why: 'Почему',
  rotate: 'переход на следующий транк', stop: 'маршрут остановлен',
  extension: 'Внутренний номер', userId: 'ID пользователя Битрикс24', line: 'Линия (ручной выбор)', explain: 'Объяснить',
  giveUserOrExt: 'Укажите ID пользователя или внутренний номер.', giveNumber: 'Укажите номер.', trace: 'Как принято решение',
  lookup: 'Найти', history: 'История импорта', rollback: 'Откатить', rollbackPlanHint: 'Включает версию, импортированную перед действующей.',
  imported: 'Импортирован',
  importPlan: 'Импорт новой версии плана', importFiles: 'Файлы (DEF и ABC вместе: версия заменяет весь план)',
  importForce: 'Импортировать, даже если пропадёт вид номеров или план сократится', importStart: 'Загрузить и импортировать',
  uploading: 'Загрузка', importing: 'Импорт', importFailed: 'Импорт отклонён, действующий план не изменён:', importDone: 'Импортирован и действует: версия', files: 'Файлы', rows: 'Строк', numbers: 'Номеров', active: 'действующий', region: 'Регион',
  confirm: 'Вы уверены?', version: 'Версия', created: 'Создана', inUse: 'в работе', edit: 'Изменить', view: 'Просмотр',
  checkAndDiff: 'Проверить и показать разницу', save: 'Сохранить как новую версию', rulesOk: 'Правила прошли все проверки.',
  rulesErrors: 'Правила не прошли проверку; ничего не сохранено:', warnings: 'Предупреждения', diff: 'Разница с версией в работе',
  noChanges: 'Изменений нет.', stored: 'Сохранено как версия', unchanged: 'Без изменений: файлы совпадают с версией',
  parked: 'Отложенные записи', retry: 'Повторить', noParked: 'Отложенных записей нет.', retried: 'Снова в очереди:', notParked: 'Эта запись не отложена.',
  savingsAbsent: 'Отчёт об экономии в этой сборке недоступен.', minutes: 'Минут', actualCost: 'Фактическая стоимость',
  baselineCost: 'Только через транки по умолчанию', saving: 'Экономия', advice: 'Советы', group: 'Группа',
  cheapestCost: 'Минимально возможная', withoutBaseline: 'Звонков без транка по умолчанию для сравнения (их база равна фактической стоимости)',
  noAdvice: 'Нечего: каждое направление шло через самый дешёвый транк.', export: 'Выгрузить',
  costPerDay: 'Стоимость по дням (столбцы: фактически; штрихи: через транки по умолчанию)', shareByCarrier: 'Доля стоимости по операторам',
  savingByDepartment: 'Экономия по отделам',
  when: 'Когда', who: 'Кто', action: 'Действие', target: 'Объект',
  forbidden: 'Ваша роль не позволяет вносить изменения.', csrf: 'Форма устарела или отправлена не из консоли: ничего не изменено. Обновите страницу и повторите.',
  notFound: 'Не найдено.', language: 'Язык', done: 'Готово.',
};

const catalogs: Readonly<Record<Lang, Readonly<Record<MessageKey, string>>>> = { ru, en };

export type Translate = (key: MessageKey) => string;

/** Russian by default; English when chosen (a cookie remembers the choice). */
export function translator(lang: Lang): Translate {
  const catalog = catalogs[lang];
  return (key) => catalog[key];
}

export function isLang(v: unknown): v is Lang {
  return v === 'ru' || v === 'en';
}
